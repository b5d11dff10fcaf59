"""SQLite: every table with an integer id becomes AUTOINCREMENT; ids are never reused

Revision ID: 8e5f0b27a4c1
Revises: 6a1d4c93e2b8
Create Date: 2026-12-10 11:00:00

Without AUTOINCREMENT SQLite gives a new row max(id) + 1, so the id of the newest record,
once deleted or merged, went to the next one: a subscription to a deleted organisation
followed a new, unrelated one, and a merged decision's 308 was shadowed by a new decision.
PostgreSQL's sequences never go back; nothing changes there.

The tables are not copied: AUTOINCREMENT changes nothing on disk (the id is the rowid either
way), only how the next id is chosen, so each table's CREATE statement is rewritten in place,
as SQLite's documentation allows for changes that leave the stored content alone (writable
schema, the schema version moved on, an integrity check after). Each table's counter
(`sqlite_sequence`) starts at the highest id it is known to have given: its rows', the audit
log's entries about its records, the merged ids and the ids subscriptions name. (The models
make new tables AUTOINCREMENT, and migrations/env.py keeps the counters over table rebuilds.)
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e5f0b27a4c1"
down_revision: str | None = "6a1d4c93e2b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID_COLUMN = re.compile(r'(?m)^(\s*)("?id"?) INTEGER NOT NULL(?=,|\s*\))')
TABLE_PK = re.compile(r',\s*CONSTRAINT ("?)(\w+)\1 PRIMARY KEY \("?id"?\)')
INLINE_PK = re.compile(r'("?id"? INTEGER NOT NULL)(?: CONSTRAINT ("?)(\w+)\2)? PRIMARY KEY AUTOINCREMENT')
# Records whose ids are named elsewhere after they are gone: (audit entity, merged kind,
# subscription target type) by table.
NAMED_AS = {
    "regulators": ("regulator", None, "regulator"),
    "organisations": ("organisation", "organisation", "organisation"),
    "cases": ("case", None, "case"),
    "decisions": ("decision", "decision", "decision"),
    "recommendations": ("recommendation", None, None),
    "assessments": ("assessment", None, None),
    "users": ("user", None, None),
    "api_tokens": ("api_token", None, None),
    "subscriptions": ("subscription", None, None),
}


def _id_tables(bind: sa.Connection) -> list[tuple[str, str]]:
    """(name, CREATE statement) of every table whose key is its integer `id`."""
    found = []
    for name, sql in bind.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'search_%' AND name != 'alembic_version' ORDER BY name"
    ):
        keys = [(row[1], row[2]) for row in bind.exec_driver_sql(f'PRAGMA table_info("{name}")') if row[5]]
        if keys == [("id", "INTEGER")]:
            found.append((name, sql))
    return found


def _rewrite(bind: sa.Connection, changes: dict[str, str]) -> None:
    """Put new CREATE statements in place (SQLite's procedure for changes that leave the stored
    rows alone), then check the database."""
    if not changes:
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    for name, sql in changes.items():
        bind.execute(
            sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
            {"sql": sql, "name": name},
        )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = [row[0] for row in bind.exec_driver_sql("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise RuntimeError(f"integrity check after the rewrite: {problems[:5]}")


def _high_water(bind: sa.Connection, table: str) -> int:
    known = [f'SELECT max(id) FROM "{table}"']
    entity, merged, target = NAMED_AS.get(table, (None, None, None))
    if entity:
        known.append(f"SELECT max(entity_id) FROM audit_log WHERE entity = '{entity}'")
    if merged:
        known.append(f"SELECT max(merged_id) FROM merged_records WHERE kind = '{merged}'")
    if target:
        known.append(f"SELECT max(target_id) FROM subscriptions WHERE target_type = '{target}'")
    return max(int(bind.exec_driver_sql(q).scalar() or 0) for q in known)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    tables = _id_tables(bind)
    changes = {}
    for name, sql in tables:
        if "AUTOINCREMENT" in sql.upper():
            continue
        pk = TABLE_PK.search(sql)
        column = ID_COLUMN.search(sql)
        if pk is None or column is None or len(TABLE_PK.findall(sql)) != 1:
            raise RuntimeError(f"{name}: its CREATE statement is not in the expected form: {sql}")
        new = sql[: pk.start()] + sql[pk.end() :]
        new = ID_COLUMN.sub(
            rf"\1\2 INTEGER NOT NULL CONSTRAINT {pk.group(2)} PRIMARY KEY AUTOINCREMENT", new, 1
        )
        changes[name] = new
    if (
        changes
        and bind.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"
        ).scalar_one()
        == 0
    ):
        # The counters' table exists once some table is AUTOINCREMENT: make it so.
        bind.exec_driver_sql("CREATE TABLE _make_sqlite_sequence (id INTEGER PRIMARY KEY AUTOINCREMENT)")
        bind.exec_driver_sql("DROP TABLE _make_sqlite_sequence")
    _rewrite(bind, changes)
    for name, _ in tables:
        high = _high_water(bind, name)
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": name})
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
            {"name": name, "seq": high},
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    changes = {}
    for name, sql in _id_tables(bind):
        found = INLINE_PK.search(sql)
        if found is None:
            continue
        constraint = found.group(3) or f"pk_{name}"
        new = sql[: found.start()] + found.group(1) + sql[found.end() :]
        close = new.rstrip().rfind(")")
        new = new[:close].rstrip() + f", \n\tCONSTRAINT {constraint} PRIMARY KEY (id)\n)"
        changes[name] = new
    _rewrite(bind, changes)
    bind.exec_driver_sql("DELETE FROM sqlite_sequence")

"""Ids are never given twice (issue 30): SQLite gave a new row max(id) + 1, so the newest
record's id, once deleted or merged, went to the next record (a subscription then followed an
unrelated organisation, a merged id's 308 was shadowed). Every table with an integer id is
AUTOINCREMENT on SQLite; PostgreSQL's sequences never went back."""

from pathlib import Path

import pytest
from sqlalchemy import text

from app import migrate
from app.db import Database, make_engine
from tests.conftest import Api
from tests.exchange.test_csv_import import run, write


def test_a_deleted_or_merged_id_is_never_given_again(api: Api) -> None:
    first = api.organisation("First Ltd")
    last = api.organisation("Last Ltd")
    assert api.delete(f"/api/v1/organisations/{last['id']}").status_code == 204
    assert api.organisation("Next Ltd")["id"] > last["id"]

    regulator = api.regulator("Information Commissioner's Office", "GB")
    kept = api.decision(regulator["id"], reference="ICO-1")
    merged = api.decision(regulator["id"], reference="ICO-1 (copy)")
    headers = api.current(f"/api/v1/decisions/{merged['id']}")
    assert (
        api.post(f"/api/v1/decisions/{merged['id']}/merge", {"into": kept["id"]}, headers=headers).status_code
        == 200
    )
    new = api.decision(regulator["id"], reference="ICO-2")
    assert new["id"] > merged["id"]
    moved = api.get(f"/api/v1/decisions/{merged['id']}", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == f"/api/v1/decisions/{kept['id']}"
    assert first["id"] < last["id"]


def test_a_csv_import_after_a_delete_takes_new_ids(api: Api, tmp_path: Path) -> None:
    """The CSV import takes its ids itself (one executemany): above every id ever given."""
    gone = api.regulator("Data Board", "FR")
    assert api.delete(f"/api/v1/regulators/{gone['id']}").status_code == 204
    report = run(api.db, *write(tmp_path))
    assert report.counts["regulators"]["created"] == 1
    [regulator] = api.ok(api.get("/api/v1/regulators"))["items"]
    assert regulator["id"] > gone["id"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_every_table_with_an_integer_id_is_autoincrement(db: Database) -> None:
    with db.engine.connect() as conn:
        tables = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'search_%'"  # the full-text index's own tables
        ).all()
        checked = 0
        for name, sql in tables:
            keys = [(r[1], r[2]) for r in conn.exec_driver_sql(f'PRAGMA table_info("{name}")') if r[5]]
            if keys == [("id", "INTEGER")]:
                assert "AUTOINCREMENT" in sql, name
                checked += 1
    assert checked >= 20


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_migration_starts_each_counter_at_the_highest_id_given(empty_database_url: str) -> None:
    """A database from before: its tables are made AUTOINCREMENT in place, each counter at the
    highest id known to have been given (rows, the audit log, merged ids, subscriptions)."""
    migrate.upgrade(empty_database_url)
    migrate.downgrade(empty_database_url, "6a1d4c93e2b8")  # the tables as they were before
    engine = make_engine(empty_database_url)
    stamp = "'2026-01-01 00:00:00'"
    try:
        with engine.begin() as conn:
            assert (
                "AUTOINCREMENT"
                not in conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'organisations'")
                ).scalar_one()
            )
            for i in (1, 2, 3):
                conn.execute(
                    text(
                        "INSERT INTO organisations (id, name, kind, version, created_at, updated_at) "
                        f"VALUES ({i}, 'Org {i}', 'company', 1, {stamp}, {stamp})"
                    )
                )
            # Organisation 7 was made and deleted (the audit log says so); 5 was merged into 1.
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor, action, entity, entity_id) "
                    f"VALUES ({stamp}, 'test', 'delete', 'organisation', 7)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO merged_records (kind, merged_id, into_id, merged_at) "
                    f"VALUES ('organisation', 5, 1, {stamp})"
                )
            )
        migrate.upgrade(empty_database_url)
        with engine.begin() as conn:
            assert (
                "AUTOINCREMENT"
                in conn.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'organisations'")
                ).scalar_one()
            )
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            conn.execute(
                text(
                    "INSERT INTO organisations (name, kind, version, created_at, updated_at) "
                    f"VALUES ('New', 'company', 1, {stamp}, {stamp})"
                )
            )
            assert conn.execute(text("SELECT max(id) FROM organisations")).scalar_one() == 8
            # The search index's triggers still fire: the new organisation is found.
            assert (
                conn.execute(text("SELECT count(*) FROM search_index WHERE rowid = 8 * 8 + 4")).scalar_one()
                == 1
            )
    finally:
        engine.dispose()

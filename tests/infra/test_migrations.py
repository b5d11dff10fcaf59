"""The migrations, on each database: one head, a full round trip, and agreement with the models."""

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app import migrate
from app.db import Database, make_engine
from app.models import Base
from tests.pgserver import PostgresServer


def test_single_head() -> None:
    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
        migrate.downgrade(empty_database_url, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_models_match_migrated_schema(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=migrate.compare_options())
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_concurrent_migrations_on_postgresql_run_once(pg_server: PostgresServer) -> None:
    """Hosts started together may each run `findings migrate`: they queue on a lock."""
    with pg_server.database() as url:
        code = "import sys; from app import migrate; migrate.upgrade(sys.argv[1])"
        runs = [subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE) for _ in range(3)]
        failures = []
        for run in runs:
            _, stderr = run.communicate(timeout=120)
            if run.returncode != 0:
                failures.append(stderr.decode())
        assert failures == []
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        finally:
            engine.dispose()
        assert versions == ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads()


SEARCHED_TABLES = {"decisions", "findings", "recommendations", "organisations", "organisation_aliases"}
SEARCHED_TABLES |= {"regulators", "cases", "document_pages"}


def test_search_index_triggers_survive_the_migrations(db: Database) -> None:
    """A later migration that rebuilds a table (SQLite's batch mode copies and renames it)
    drops its triggers; this notices if one forgot to create the search triggers again."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = conn.exec_driver_sql(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%'"
            ).all()
            assert {(t, n.rsplit("_", 1)[1]) for t, n in rows} == {
                (t, event) for t in SEARCHED_TABLES for event in ("insert", "update", "delete")
            } | {("documents", "title")}
        else:
            rows = conn.exec_driver_sql(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'search_index_sync' AND t.tgenabled <> 'D'"
            ).all()
            assert {r[0] for r in rows} == SEARCHED_TABLES


def test_search_migration_indexes_an_existing_record(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upgrading a database that already holds a record fills the index from it (and derives
    its compliance again: the ICO's orders, all disputed, read `disputed` after the upgrade)."""
    from app.services import compliance, demo
    from app.services.search import engine as search
    from app.vocab import Compliance

    # The record is loaded by today's models, at the head; the search migration is then undone
    # (taking its index away) and done again over the record.
    migrate.upgrade(empty_database_url)
    database = Database(empty_database_url)
    # The rule as it was at that revision, which had no `disputed`.
    new_rule = compliance.derive_compliance

    def old_rule(counts: dict) -> Compliance:
        derived = new_rule(counts)
        return Compliance.not_complied if derived == Compliance.disputed else derived

    try:
        # The record is loaded by today's models at the head, under the rule as it was (no
        # `disputed`); the migrations since the search one are then undone (taking its index
        # away) and done again over the record.
        with monkeypatch.context() as patch:
            patch.setattr(compliance, "derive_compliance", old_rule)
            with database.transaction(actor="test") as session:
                demo.load(session)
        database.dispose()
        migrate.downgrade(empty_database_url, "ebe6badc6a8a")
        with database.transaction(write=False) as session:
            before = dict(session.execute(text("SELECT reference, compliance FROM decisions")).all())
        migrate.upgrade(empty_database_url)
        with database.transaction(write=False) as session:
            after = dict(session.execute(text("SELECT reference, compliance FROM decisions")).all())
            changed = {ref: (before[ref], after[ref]) for ref in after if before[ref] != after[ref]}
            assert changed and set(changed.values()) == {("not_complied", "disputed")}
            hits = search.search(session, q="Clearview", limit=100).items
            assert hits[0].title == "Clearview AI, Inc."
            assert len([h for h in hits if h.type == "decision"]) == 8
            commissioners = search.search(session, q="commissioner", limit=100).items
            assert "regulator" in {h.type for h in commissioners}
    finally:
        database.dispose()


def test_the_accounts_migration_keeps_sessions_links_and_codes(empty_database_url: str) -> None:
    """On SQLite a column change copies the table (Alembic's batch mode) and drops the old one;
    with foreign keys enforced that DROP deleted, ON DELETE CASCADE, every session and e-mailed
    link of every user. The migrations run with them off, and check every reference after."""
    migrate.upgrade(empty_database_url, "6c1e8f2a9d47")  # just before the accounts migration
    engine = make_engine(empty_database_url)
    stamp = "'2026-01-01 00:00:00'"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, role, password_hash, recovery_codes, "
                    "created_at, updated_at) VALUES (1, 'a@example.org', 'A', 'reader', 'h', "
                    f"'[\"c1\", \"c2\"]', {stamp}, {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO user_sessions (id, session_hash, user_id, csrf_token, created_at, "
                    f"expires_at) VALUES (1, 's', 1, 'c', {stamp}, {stamp})"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO account_tokens (id, user_id, purpose, token_hash, created_at, expires_at, "
                    f"client) VALUES (1, 1, 'reset', 't', {stamp}, {stamp}, '')"
                )
            )
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM user_sessions")).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM account_tokens")).scalar() == 1
            codes = conn.execute(text("SELECT user_id, code_hash FROM recovery_codes ORDER BY id")).all()
            assert [tuple(c) for c in codes] == [(1, "c1"), (1, "c2")]
            if engine.dialect.name == "sqlite":  # enforced again for the app
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        migrate.downgrade(empty_database_url, "6c1e8f2a9d47")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM user_sessions")).scalar() == 1
            assert "c2" in conn.execute(text("SELECT recovery_codes FROM users")).scalar()
    finally:
        engine.dispose()

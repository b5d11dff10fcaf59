"""`findings backup FILE`: a consistent copy of the live SQLite database, and a restore."""

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import Database
from app.services.exchange.backup import pg_dump_command
from tests.conftest import Api, table_counts


def run_cli(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, list(args))
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.stdout


def test_backup_then_restore_gives_back_the_backup_point(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not api.db.is_sqlite:
        pytest.skip("SQLite's online backup; PostgreSQL is backed up with pg_dump (tested below)")
    reg = api.regulator()
    api.decision(reg["id"])
    url = str(api.db.engine.url)
    backup = tmp_path / "backups" / "findings-backup.sqlite3"
    out = run_cli(url, monkeypatch, "backup", str(backup))
    assert "Backed up" in out and backup.exists()
    assert not Path(str(backup) + ".partial").exists()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    at_backup = table_counts(api.db)
    regulators_at_backup = api.ok(api.get("/api/v1/regulators"))

    # Changes after the backup...
    api.regulator(name="CNIL", jurisdiction="FR")
    api.ok(
        api.patch(
            f"/api/v1/regulators/{reg['id']}",
            {"short_name": "OPC"},
            headers=api.current(f"/api/v1/regulators/{reg['id']}"),
        )
    )
    assert table_counts(api.db) != at_backup

    # ... are gone after a restore: stop the app, copy the file back, start again.
    api.client.close()
    api.db.dispose()
    live = Path(api.db.engine.url.database or "")
    for suffix in ("-wal", "-shm"):
        Path(str(live) + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, live)
    restored = Database(url)
    try:
        assert table_counts(restored) == at_backup
        from fastapi.testclient import TestClient

        from app.main import create_app

        with TestClient(create_app(restored)) as client:
            assert client.get("/api/v1/regulators").json() == regulators_at_backup
    finally:
        restored.dispose()


def test_backup_of_postgresql_prints_the_pg_dump_command(tmp_path: Path) -> None:
    url = make_url("postgresql+psycopg://findings:secret@db.internal:5433/findings")
    command = pg_dump_command(url, tmp_path / "f.dump")
    assert command == (
        f"pg_dump --format=custom --file={tmp_path / 'f.dump'} --host=db.internal --port=5433 "
        "--username=findings findings"
    )
    assert "secret" not in command

"""PostgreSQL under the app: restarted while the app runs, and the audit-log triggers.

Starts its own throw-away PostgreSQL cluster from the server binaries installed on the
machine (`/usr/lib/postgresql/*/bin`), as the `postgres` user when run as root.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import migrate
from app.db import Database
from app.main import create_app
from app.services.accounts import tokens
from app.vocab import Role
from tests.infra.test_faults import free_port

pytestmark = pytest.mark.postgres

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class Cluster:
    def __init__(self) -> None:
        if not BIN_DIRS:
            pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql")
        self.bin = BIN_DIRS[0]
        self.dir = Path(tempfile.mkdtemp(prefix="findings-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/findings"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")

    def run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_postgres, str(self.bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.dir,
        )

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "findings")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    made = Cluster()
    try:
        made.init()
        migrate.upgrade(made.url)
        yield made
    finally:
        made.remove()


def test_the_app_answers_503_while_postgres_is_down_and_recovers_without_restart(cluster: Cluster) -> None:
    db = Database(cluster.url)
    with db.transaction(actor="test") as session:
        _, editor = tokens.create(session, name="pg-editor", role=Role.editor)
    auth = {"Authorization": f"Bearer {editor}"}
    try:
        with TestClient(create_app(db)) as client:
            assert client.get("/api/v1/regulators").status_code == 200
            assert client.post(
                "/api/v1/regulators", json={"name": "Before", "jurisdiction": "CA"}, headers=auth
            )
            cluster.stop("immediate")
            try:
                for method, url, body in (
                    ("GET", "/api/v1/regulators", None),
                    ("POST", "/api/v1/regulators", {"name": "During", "jurisdiction": "CA"}),
                ):
                    response = client.request(method, url, json=body, headers=auth)
                    assert response.status_code == 503, response.text
                    assert response.headers["content-type"] == "application/problem+json"
                    assert response.headers["retry-after"]
                    assert response.json()["title"] == "Service unavailable"
            finally:
                cluster.start()
            # The same app, not restarted: its pool drops the dead connections (pre-ping).
            names = [r["name"] for r in client.get("/api/v1/regulators").json()["items"]]
            assert names == ["Before"]
            after = client.post(
                "/api/v1/regulators", json={"name": "After", "jurisdiction": "CA"}, headers=auth
            )
            assert after.status_code == 201, after.text
    finally:
        db.dispose()


def test_postgres_refuses_to_change_the_audit_log(cluster: Cluster) -> None:
    db = Database(cluster.url)
    try:
        with db.transaction(actor="test") as session:
            tokens.create(session, name="pg-audited", role=Role.reader)
        for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(statement))
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one() > 0
    finally:
        db.dispose()


def test_the_security_migration_goes_down_and_up_on_postgres(cluster: Cluster) -> None:
    db = Database(cluster.url)
    guards = {"audit_log_no_change", "audit_log_no_truncate"}

    def state() -> tuple[str, set[str], set[str], int]:
        """The schema's revision, its tables, the audit log's triggers and its number of rows."""
        db.dispose()  # no pooled connection stays open while the migrations run
        with db.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            tables = set(conn.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")))
            triggers = set(
                conn.scalars(
                    text(
                        "SELECT tgname FROM pg_trigger "
                        "WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal"
                    )
                )
            )
            rows = conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        db.dispose()
        return version, tables, triggers, rows

    try:
        with db.transaction(actor="test") as session:
            tokens.create(session, name="pg-migrated", role=Role.reader)
        before = state()
        head = ScriptDirectory.from_config(migrate.alembic_config(cluster.url)).get_current_head()
        assert before[0] == head and "idempotency_keys" in before[1] and guards <= before[2] and before[3] > 0

        migrate.downgrade(cluster.url, "ebe6badc6a8a")
        version, tables, triggers, rows = state()
        assert version == "ebe6badc6a8a" and "idempotency_keys" not in tables and "audit_log" in tables
        assert not triggers & guards and rows == before[3]
        with db.engine.begin() as conn:  # the log is not guarded below the migration
            conn.execute(text("UPDATE audit_log SET actor = actor"))

        migrate.upgrade(cluster.url)
        assert state() == before
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET actor = actor"))
    finally:
        db.dispose()

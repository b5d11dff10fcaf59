"""Test fixtures: a database built by the real migrations, and an HTTP client on the app."""

import datetime as dt
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app import migrate
from app.db import Database
from app.main import create_app
from app.models import Base
from app.services import hooks
from app.services.accounts import tokens
from app.vocab import Role
from tests.alert_helpers import receiver, settings_env, smtp  # noqa: F401  (fixtures)
from tests.browser_helpers import chrome, demo_site  # noqa: F401  (fixtures)
from tests.pgserver import PostgresServer, find_bindir

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

# Every session of the tests keeps the read model and the outbox in step, as the app's and the
# command line's do (tests write through services without create_app too).
hooks.install()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started from the machine's binaries for the whole run.

    Where the binaries (or psycopg) are missing the PostgreSQL tests skip, except in CI
    (CI=true), where they fail: there a missing database must not pass unnoticed.
    """
    bindir = find_bindir()
    problem = None
    if bindir is None:
        problem = (
            "PostgreSQL binaries (initdb, pg_ctl) not found on PATH, in $PG_BINDIR or in "
            "/usr/lib/postgresql/*/bin; install Debian's `postgresql` package to run these tests"
        )
    elif importlib.util.find_spec("psycopg") is None:
        problem = "psycopg is not installed; run `make test` to install the test dependencies"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test runs on: every test using `db` runs once on each."""
    return request.param


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: PostgresServer) -> str:
    """A PostgreSQL database migrated to head once."""
    name = "findings_template"
    pg_server.execute(f'CREATE DATABASE "{name}"')
    migrate.upgrade(pg_server.url(name))
    return name


@pytest.fixture(scope="session")
def pg_test_database(pg_server: PostgresServer, pg_template: str) -> str:
    """The PostgreSQL database the tests share, one after another, emptied after each."""
    name = "findings_test"
    pg_server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    return name


@pytest.fixture(scope="session")
def pg_database(pg_server: PostgresServer, pg_test_database: str) -> Iterator[Database]:
    """One engine on the shared PostgreSQL test database for the whole run: its pooled
    connections (and compiled statements) serve test after test."""
    database = Database(pg_server.url(pg_test_database))
    yield database
    database.dispose()


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty database on the test's backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    with server.database() as url:
        yield url


def sqlite_copy(request: pytest.FixtureRequest, path: Path) -> Database:
    """A copy of the migrated SQLite template at `path`."""
    template: Path = request.getfixturevalue("sqlite_template")
    path.write_bytes(template.read_bytes())
    return Database(f"sqlite:///{path}")


@pytest.fixture
def db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated database of the test's own, on each backend in turn."""
    if backend == "sqlite":
        database = sqlite_copy(request, tmp_path / "test.sqlite3")
        yield database
        database.dispose()
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    database: Database = request.getfixturevalue("pg_database")
    try:
        yield database
    finally:
        # Connections go back to the pool (and stay open for the next test); the rows go.
        server.reset(request.getfixturevalue("pg_test_database"))


class Api:
    """An HTTP client on the app, with tokens of each role at hand."""

    def __init__(self, client: TestClient, db: Database) -> None:
        self.client = client
        self.db = db
        self.tokens: dict[Role, str] = {}
        with db.transaction(actor="test") as session:
            for role in Role:
                _, secret = tokens.create(session, name=f"test-{role.value}", role=role)
                self.tokens[role] = secret

    def sign_in(self, role: Role) -> str:
        """Sign the client in to the pages with an account of `role` (made on first use);
        returns the session's form token."""
        from sqlalchemy import select

        from app.models import User, UserSession
        from tests.web_helpers import enrol_totp, make_user, second_factor, sign_in

        email = f"{role.value}@example.org"
        with self.db.transaction(write=False) as session:
            found = session.scalar(select(User).where(User.email == email))
        secret = found.totp_secret if found is not None and found.totp_enabled_at else None
        if found is None:
            make_user(self.db, email, role)
            if role is Role.admin:  # admins sign in with a second factor
                secret = enrol_totp(self.db, email)
        response = sign_in(self.client, email)
        assert response.status_code == 303, response.text
        if secret is not None:
            response = second_factor(self.client, secret, db=self.db)
            assert response.status_code == 303, response.text
        with self.db.transaction(write=False) as session:
            return (
                session.scalars(
                    select(UserSession.csrf_token)
                    .join(User, User.id == UserSession.user_id)
                    .where(User.email == email)
                    .order_by(UserSession.id.desc())
                ).first()
                or ""
            )

    def auth(self, role: Role | None = Role.editor) -> dict[str, str]:
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, json: Any = None, role: Role | None = Role.editor, **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self.auth(role) | kw.pop("headers", {}), **kw)

    def if_match(self, url: str, headers: dict[str, str]) -> dict[str, str]:
        """`If-Match` (required on PATCH and DELETE) as a careful client sends it: the ETag of
        a read just before, unless the test gives its own (or `{"If-Match": None}`: none)."""
        if "If-Match" in headers:
            return {k: v for k, v in headers.items() if v is not None}
        read = self.client.get(url)
        return headers | {"If-Match": read.headers.get("etag", "*")}

    def patch(self, url: str, json: Any = None, role: Role | None = Role.editor, **kw: Any) -> Any:
        headers = self.if_match(url, self.auth(role) | kw.pop("headers", {}))
        return self.client.patch(url, json=json, headers=headers, **kw)

    def delete(self, url: str, role: Role | None = Role.editor, **kw: Any) -> Any:
        headers = self.if_match(url, self.auth(role) | kw.pop("headers", {}))
        return self.client.delete(url, headers=headers, **kw)

    def current(self, url: str) -> dict[str, str]:
        """The `If-Match` header naming the version of `url` as it stands (PATCH and DELETE need it)."""
        response = self.get(url)
        assert response.status_code == 200, response.text
        return {"If-Match": response.headers["etag"]}

    def ok(self, response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    # Small typed helpers that build a record through the API.

    def regulator(
        self,
        name: str = "Office of the Privacy Commissioner of Canada",
        jurisdiction: str = "CA",
        **extra: Any,
    ) -> dict[str, Any]:
        return self.ok(
            self.post("/api/v1/regulators", {"name": name, "jurisdiction": jurisdiction, **extra}), 201
        )

    def organisation(self, name: str = "Clearview AI, Inc.", **extra: Any) -> dict[str, Any]:
        return self.ok(self.post("/api/v1/organisations", {"name": name, **extra}), 201)

    def decision(
        self, regulator_id: int, *, reference: str = "REF-1", issued_on: str = "2021-02-03", **extra: Any
    ) -> dict[str, Any]:
        body = {
            "reference": reference,
            "title": f"Decision {reference}",
            "kind": "report_of_findings",
            "issued_on": issued_on,
            "regulators": [{"regulator_id": regulator_id, "role": "lead"}],
            **extra,
        }
        return self.ok(self.post("/api/v1/decisions", body), 201)

    def recommendation(
        self, decision_id: int, organisation_id: int, text: str = "Do it", **extra: Any
    ) -> dict[str, Any]:
        return self.ok(
            self.post(
                "/api/v1/recommendations",
                {"decision_id": decision_id, "organisation_id": organisation_id, "text": text, **extra},
            ),
            201,
        )

    def assess(self, recommendation_id: int, status: str, assessed_on: str, **extra: Any) -> dict[str, Any]:
        return self.ok(
            self.post(
                f"/api/v1/recommendations/{recommendation_id}/assessments",
                {"status": status, "assessed_on": assessed_on, "asserted_by": "regulator", **extra},
            ),
            201,
        )


@pytest.fixture
def app(db: Database) -> Any:
    return create_app(db)


@pytest.fixture
def api(app: Any, db: Database) -> Iterator[Api]:
    with TestClient(app) as client:
        yield Api(client, db)


def table_counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in Base.metadata.tables
        }


TODAY = dt.date.today()


@pytest.fixture
def other_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A second migrated, empty database on the test's backend (to import into)."""
    if backend == "sqlite":
        database = sqlite_copy(request, tmp_path / "other.sqlite3")
        yield database
        database.dispose()
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    with server.database(template=request.getfixturevalue("pg_template")) as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


@pytest.fixture
def other_api(other_db: Database) -> Iterator[Api]:
    """A second, empty instance (its own database), to import into."""
    with TestClient(create_app(other_db)) as client:
        yield Api(client, other_db)

"""API tokens: random, prefixed, stored hashed, expiring, revocable, listed without secrets."""

import datetime as dt

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.models import ApiToken
from app.services.accounts import tokens
from app.vocab import Role
from tests.conftest import Api


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_secret_is_random_prefixed_and_only_its_hash_is_stored(api: Api) -> None:
    secrets = list(api.tokens.values())
    assert len(set(secrets)) == len(secrets)
    for secret in secrets:
        assert secret.startswith("ft_")
        assert len(secret) - 3 >= 43  # 32 random bytes, base64url: 256 bits
    with api.db.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.execute(text("SELECT * FROM api_tokens")))
        dump += "\n".join(str(row) for row in conn.execute(text("SELECT * FROM audit_log")))
    for secret in secrets:
        assert secret not in dump
        assert tokens.hash_token(secret) in dump


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        ("Bearer ft_not-a-real-token", "invalid_token"),
        ("Bearer nonsense", "invalid_token"),
        ("Basic dXNlcjpwYXNz", "invalid_request"),
        ("Bearer ", "invalid_request"),
    ],
)
def test_bad_token_is_401_with_www_authenticate(api: Api, authorization: str, error: str) -> None:
    for method, url in (("GET", "/api/v1/regulators"), ("POST", "/api/v1/regulators")):
        response = api.client.request(method, url, headers={"Authorization": authorization}, json={})
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == f'Bearer error="{error}"'
        assert response.headers["content-type"] == "application/problem+json"


def test_write_without_token_is_401_and_with_reader_403(api: Api) -> None:
    body = {"name": "X", "jurisdiction": "CA"}
    anonymous = api.post("/api/v1/regulators", body, role=None)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert api.post("/api/v1/regulators", body, role=Role.reader).status_code == 403


def test_expired_token_is_refused(api: Api) -> None:
    with api.db.transaction(actor="test") as session:
        token, secret = tokens.create(
            session, name="soon", role=Role.editor, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        )
        token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    response = api.client.get("/api/v1/regulators", headers=bearer(secret))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_admin_manages_tokens_through_the_api(api: Api) -> None:
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    created = api.ok(
        api.post(
            "/api/v1/tokens", {"name": "robot", "role": "editor", "expires_at": expires}, role=Role.admin
        ),
        201,
    )
    secret = created.pop("token")
    assert secret.startswith(created["prefix"])
    assert api.post(
        "/api/v1/regulators", {"name": "R", "jurisdiction": "FR"}, headers=bearer(secret), role=None
    )
    listed = api.ok(api.get("/api/v1/tokens", headers=api.auth(Role.admin)))["items"]
    robot = next(t for t in listed if t["name"] == "robot")
    assert set(robot) == {
        "id",
        "name",
        "role",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    }
    assert all(secret not in str(t) for t in listed)

    assert api.delete(f"/api/v1/tokens/{created['id']}", role=Role.admin).status_code == 204
    refused = api.client.get("/api/v1/regulators", headers=bearer(secret))
    assert refused.status_code == 401
    assert api.ok(api.get(f"/api/v1/tokens/{created['id']}", headers=api.auth(Role.admin)))["revoked_at"]
    log = api.ok(
        api.get(
            "/api/v1/audit",
            params={"entity": "api_token", "entity_id": created["id"]},
            headers=api.auth(Role.admin),
        )
    )["items"]
    assert [(e["action"], e["actor"]) for e in log] == [
        ("revoke", "token:test-admin"),
        ("create", "token:test-admin"),
    ]
    assert log[0]["before"]["revoked_at"] is None and log[0]["after"]["revoked_at"]
    assert all("token_hash" not in (e["after"] or {}) for e in log)
    # Past expiry dates and duplicate names are refused.
    past = {"name": "late", "expires_at": "2020-01-01T00:00:00Z"}
    assert api.post("/api/v1/tokens", past, role=Role.admin).status_code == 422
    assert api.post("/api/v1/tokens", {"name": "robot"}, role=Role.admin).status_code == 409


def test_token_endpoints_are_admin_only(api: Api) -> None:
    for role in (Role.reader, Role.editor):
        assert api.get("/api/v1/tokens", headers=api.auth(role)).status_code == 403
        assert api.post("/api/v1/tokens", {"name": "x"}, role=role).status_code == 403
        assert api.delete("/api/v1/tokens/1", role=role).status_code == 403


def last_used(api: Api, name: str) -> dt.datetime | None:
    with api.db.transaction(write=False) as session:
        return session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == name))


def test_last_use_is_recorded_at_most_once_a_minute(api: Api) -> None:
    assert last_used(api, "test-reader") is None
    api.client.get("/api/v1/regulators", headers=api.auth(Role.reader))
    first = last_used(api, "test-reader")
    assert first is not None
    api.client.get("/api/v1/regulators", headers=api.auth(Role.reader))
    assert last_used(api, "test-reader") == first
    # A minute later, the next use moves it (writes record it in their own transaction).
    with api.db.transaction() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.name == "test-editor"))
        token.last_used_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    api.post("/api/v1/regulators", {"name": "R", "jurisdiction": "FR"})
    assert last_used(api, "test-editor") > dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)


def test_recording_a_use_leaves_the_tokens_version_alone(api: Api) -> None:
    """A write request records its token's use past the ORM: the token's version (its ETag) does
    not move, so two writes with one token in the same minute never conflict over it (each
    used to bump the versioned row, and under a crowd of writers every few was a 500)."""

    def version() -> int:
        with api.db.transaction(write=False) as session:
            return int(session.scalar(select(ApiToken.version).where(ApiToken.name == "test-editor")) or 0)

    with api.db.transaction() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.name == "test-editor"))
        assert token is not None
        token.last_used_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    before = version()
    api.ok(api.post("/api/v1/regulators", {"name": "R", "jurisdiction": "FR"}), 201)
    assert last_used(api, "test-editor") > dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    assert version() == before


def test_a_versioned_row_changed_meanwhile_is_a_409_not_a_500() -> None:
    from sqlalchemy.orm.exc import StaleDataError

    from app.api.problems import describe

    described = describe(StaleDataError("UPDATE statement on table 'x' expected to update 1 row(s)"))
    assert described.kind.status == 409 and "someone else" in described.detail


@pytest.fixture
def cli_env(api: Api, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", api.db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_lists_and_revokes_tokens(api: Api, cli_env: CliRunner) -> None:
    made = cli_env.invoke(
        cli, ["token", "create", "--name", "ops", "--role", "admin", "--expires-in-days", "7"]
    )
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[0]
    assert api.client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 200

    listed = cli_env.invoke(cli, ["token", "list"])
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "LAST", "USED"]
    ops = next(line for line in lines if line.startswith("ops "))
    assert "admin" in ops and secret[:10] in ops and secret not in listed.stdout

    revoked = cli_env.invoke(cli, ["token", "revoke", "ops"])
    assert revoked.exit_code == 0, revoked.output
    assert api.client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 401
    assert cli_env.invoke(cli, ["token", "revoke", "nobody"]).exit_code == 1
    entries = api.ok(api.get("/api/v1/audit", params={"entity": "api_token"}, headers=api.auth(Role.admin)))
    assert [e["action"] for e in entries["items"]][:2] == ["revoke", "create"]
    assert entries["items"][0]["actor"] == "cli"


def test_a_read_never_waits_behind_the_writers_to_note_its_tokens_use(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read with a token notes its use in a write of its own, a convenience: while another
    transaction holds SQLite's turn to write, the read answers at once and leaves the note to a
    later request (it used to wait its turn for the whole busy timeout, 10 s by default, here 60)."""
    import threading
    from pathlib import Path

    from fastapi.testclient import TestClient

    from app import migrate
    from app.db import Database
    from app.main import create_app

    monkeypatch.setattr(get_settings(), "sqlite_busy_timeout", 60.0)
    url = f"sqlite:///{Path(str(tmp_path)) / 'turn.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.transaction(actor="test") as session:
        _, secret = tokens.create(session, name="reader", role=Role.reader)
    holding, release, answered = threading.Event(), threading.Event(), threading.Event()

    def writer() -> None:
        with database.transaction(actor="test"):
            holding.set()
            release.wait(120)

    held = threading.Thread(target=writer)
    held.start()
    try:
        assert holding.wait(30)
        statuses: list[int] = []

        def read() -> None:
            with TestClient(create_app(database)) as client:
                statuses.append(client.get("/api/v1/regulators", headers=bearer(secret)).status_code)
            answered.set()

        reader = threading.Thread(target=read)
        reader.start()
        # Answered while the writer still holds its turn (a liveness bound, far above the wait).
        assert answered.wait(30), "the read waited for the writer's turn"
        assert statuses == [200]
    finally:
        release.set()
        held.join()
        database.dispose()
    with Database(url).transaction(write=False) as session:
        assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "reader")) is None

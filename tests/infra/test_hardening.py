"""The second security review's findings, each reproduced (issue 15)."""

import base64
import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import Database
from app.main import create_app
from app.services.shared.pagination import encode_cursor
from app.vocab import Role
from tests.conftest import Api
from tests.web_helpers import fast_passwords  # noqa: F401  (autouse: cheap argon2 costs)

LISTS = {
    "regulators": "name",
    "organisations": "name",
    "cases": "title",
    "decisions": "-issued_on",
    "recommendations": "id",
}


def forged(sort: str, value: Any, last_id: Any = 1) -> str:
    raw = json.dumps([sort, [value, last_id]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


FORGERIES = [
    {"a": 1},
    [1, 2],
    2**63,
    -(2**63) - 1,
    10**40,
    True,
    None,
    1.5,
]


@pytest.mark.parametrize("collection", sorted(LISTS))
def test_forged_cursors_are_422_on_lists_and_pages(api: Api, collection: str) -> None:
    sort = LISTS[collection]
    cursors = [forged(sort, value) for value in FORGERIES]
    cursors += [forged(sort, "x", {"a": 1}), forged(sort, "x", 2**63), forged(sort, "x", [1])]
    if sort == "id":
        cursors = [forged(sort, 1, bad) for bad in ({"a": 1}, [1], 2**63, "1", 1.5)] + [
            forged(sort, bad) for bad in ({"a": 1}, [1], 2**63, "1", 1.5, True)
        ]
    for cursor in cursors:
        response = api.get(f"/api/v1/{collection}", params={"cursor": cursor, "sort": sort})
        assert response.status_code == 422, (cursor, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "query.cursor"
        page = api.get(f"/{collection}", params={"cursor": cursor, "sort": sort})
        assert page.status_code == 422, (cursor, page.text[:300])
        assert page.headers["content-type"].startswith("text/html")
        assert "content-security-policy" in page.headers


def test_forged_cursors_are_422_on_tokens_and_audit(api: Api) -> None:
    for path, sort in (("/api/v1/tokens", "id"), ("/api/v1/audit", "-id")):
        bad = (forged(sort, {"a": 1}), forged(sort, [1]), forged(sort, 2**63), forged(sort, 1, 2**64))
        for cursor in bad:
            response = api.get(path, params={"cursor": cursor}, headers=api.auth(Role.admin))
            assert response.status_code == 422, (path, cursor, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    # A cursor the API made still works.
    good = encode_cursor("-id", (10**6, 10**6))
    assert api.get("/api/v1/audit", params={"cursor": good}, headers=api.auth(Role.admin)).status_code == 200


def broken_app(db: Database) -> FastAPI:
    app = create_app(db)

    @app.get("/api/v1/broken")
    def broken_api() -> None:
        raise RuntimeError("a bug")

    @app.get("/broken")
    def broken_page() -> None:
        raise RuntimeError("a bug")

    return app


def test_an_unexpected_error_is_a_problem_with_the_security_headers(db: Database) -> None:
    with TestClient(broken_app(db), raise_server_exceptions=False) as client:
        api = client.get("/api/v1/broken")
        assert api.status_code == 500
        assert api.headers["content-type"] == "application/problem+json"
        assert api.json()["title"] == "Internal server error"
        assert "a bug" not in api.text
        page = client.get("/broken")
        assert page.status_code == 500
        assert page.headers["content-type"].startswith("text/html")
        for response in (api, page):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["content-security-policy"].startswith("default-src 'self'")
            assert response.headers["x-frame-options"] == "DENY"


ROW = "(1, '2020-01-01 00:00:00', 'forger', 'create', 'regulator', 1)"
COLUMNS = "(id, at, actor, action, entity, entity_id)"
# Every statement that could change or remove an existing audit entry.
REWRITES = {
    "both": [
        "UPDATE audit_log SET actor = 'forger'",
        "DELETE FROM audit_log WHERE id = 1",
        f"INSERT INTO audit_log {COLUMNS} VALUES {ROW} ON CONFLICT (id) DO UPDATE SET actor = excluded.actor",
    ],
    "sqlite": [
        f"INSERT OR REPLACE INTO audit_log {COLUMNS} VALUES {ROW}",
        f"REPLACE INTO audit_log {COLUMNS} VALUES {ROW}",
        "UPDATE OR REPLACE audit_log SET actor = 'forger' WHERE id = 1",
        "UPDATE OR IGNORE audit_log SET actor = 'forger' WHERE id = 1",
        "DELETE FROM audit_log",
    ],
    "postgresql": [
        "TRUNCATE audit_log",
        "MERGE INTO audit_log a USING (SELECT 1 AS id) s ON a.id = s.id "
        "WHEN MATCHED THEN UPDATE SET actor = 'forger'",
        "MERGE INTO audit_log a USING (SELECT 1 AS id) s ON a.id = s.id WHEN MATCHED THEN DELETE",
    ],
}


def test_no_statement_rewrites_the_audit_log(api: Api) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    api.regulator()
    dialect = api.db.engine.dialect.name

    def entries() -> list[Any]:
        with api.db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT * FROM audit_log ORDER BY id"))]

    before = entries()
    assert before and before[0][0] == 1
    for statement in REWRITES["both"] + REWRITES[dialect]:
        with pytest.raises(DatabaseError, match="append-only"), api.db.engine.begin() as conn:
            conn.execute(text(statement))
        assert entries() == before, statement
    # New entries are still welcome.
    api.regulator("Garante", "IT")
    assert entries()[: len(before)] == before


@pytest.mark.parametrize(
    "value",
    [
        "\uff1dcmd|' /C calc'!A0",  # fullwidth =
        "\uff0b1+1",
        "\uff0d1+1",
        "\uff20SUM(A1)",
        "\u200b=cmd|' /C calc'!A0",  # zero-width space first
        "\ufeff=1+1",  # a byte-order mark first
        "\u2060+1",
        " =1+1",
        "\u00a0@SUM(A1)",
        "\n=1+1",
    ],
)
def test_formula_prefixes_that_used_to_pass_are_defused(value: str) -> None:
    from app.services.reporting.csv_export import safe_cell

    assert safe_cell(value) == "'" + value


def test_a_formula_after_a_semicolon_stays_inside_its_quoted_cell(api: Api) -> None:
    reg = api.regulator("OPC", "CA")
    api.decision(reg["id"], title="x;=cmd|' /C calc'!A0")
    raw = api.get("/api/v1/export/decisions.csv").content.decode("utf-8-sig")
    header, row = raw.split("\r\n")[:2]
    # Every cell quoted: a spreadsheet splitting on ";" cannot cut a formula out of it.
    assert header.startswith('"id","reference","title"')
    assert ",\"x;=cmd|' /C calc'!A0\"," in row


def record_document(regulators: str) -> bytes:
    sections = '"organisations": [], "cases": [], "decisions": [], "recommendations": [], "assessments": []'
    return (
        f'{{"format": "findings-tracker-record", "version": 1, "regulators": [{regulators}], {sections}}}'
    ).encode()


REGULATOR = (
    '{{"id": {id}, "name": "OPC", "short_name": null, "jurisdiction": "CA", "kind": "regulator", '
    '"website": {website}, "version": 1, "created_at": "2026-01-01T00:00:00Z", '
    '"updated_at": "2026-01-01T00:00:00Z"}}'
)


def test_import_refuses_an_item_nested_too_deeply(api: Api) -> None:
    deep = "[" * 5000 + "]" * 5000
    body = record_document(REGULATOR.format(id=1, website='"https://x.example"') + ", " + deep)
    response = api.client.post("/api/v1/import", content=body, headers=api.auth(Role.admin))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "regulators[1]"
    assert "nested" in response.json()["detail"]
    assert api.get("/api/v1/regulators").json()["items"] == []
    # Also when nested inside a field of an item.
    body = record_document(REGULATOR.format(id=1, website="[" * 100 + "]" * 100))
    response = api.client.post("/api/v1/import", content=body, headers=api.auth(Role.admin))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "regulators[0]"


@pytest.mark.parametrize("item_id", [2**53 - 1, 2**53, 2**52 + 1])
def test_import_refuses_ids_that_leave_no_room(api: Api, item_id: int) -> None:
    body = record_document(REGULATOR.format(id=item_id, website="null"))
    response = api.client.post("/api/v1/import", content=body, headers=api.auth(Role.admin))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].startswith("regulators[0].id")
    assert api.get("/api/v1/regulators").json()["items"] == []


def test_import_takes_ids_up_to_the_limit_and_later_ids_stay_readable(api: Api) -> None:
    body = record_document(REGULATOR.format(id=2**52, website="null"))
    response = api.client.post("/api/v1/import", content=body, headers=api.auth(Role.admin))
    assert response.status_code == 200, response.text
    created = api.regulator("Garante", "IT")
    assert created["id"] == 2**52 + 1
    assert api.get(f"/api/v1/regulators/{created['id']}").status_code == 200


def app_with(db: Database, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> TestClient:
    from app.config import get_settings

    for name, value in settings.items():
        monkeypatch.setattr(get_settings(), name, value)
    return TestClient(create_app(db))


def test_unknown_hosts_are_refused_when_allowed_hosts_is_set(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app_with(db, monkeypatch, allowed_hosts="findings.example.org, *.findings.example.org") as client:
        for host in ("findings.example.org", "FINDINGS.example.org:8443", "mirror.findings.example.org"):
            assert client.get("/api/v1/regulators", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "findings.example.org.evil.example", "evilfindings.example.org"):
            refused = client.get("/api/v1/regulators", headers={"Host": host})
            assert refused.status_code == 400, host
            assert refused.headers["content-type"] == "application/problem+json"
            page = client.get("/", headers={"Host": host})
            assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
            assert page.headers["x-frame-options"] == "DENY"


def test_absolute_urls_follow_base_url_not_the_host_header(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import Api as Client

    with app_with(db, monkeypatch, base_url="https://findings.example.org") as client:
        api = Client(client, db)
        evil = {"Host": "evil.example"}
        created = api.post("/api/v1/regulators", {"name": "OPC", "jurisdiction": "CA"}, headers=evil)
        assert created.status_code == 201, created.text
        assert created.headers["location"].startswith("https://findings.example.org/api/v1/regulators/")
        feed = client.get("/feeds/decisions.atom", headers=evil).text
        assert "evil.example" not in feed and "https://findings.example.org/" in feed
        signin = client.get("/signin", headers=evil)
        assert "evil.example" not in signin.text


# -- Accounts ------------------------------------------------------------------------------


def client_at(api: Api, address: str, **kw: Any) -> TestClient:
    return TestClient(api.client.app, client=(address, 40000), **kw)


def test_failures_elsewhere_do_not_lock_the_owner_out(api: Api) -> None:
    from app.services.accounts import users
    from tests.web_helpers import make_user, sign_in

    email = make_user(api.db)
    with client_at(api, "198.51.100.7") as attacker:
        for _ in range(users.MAX_FAILURES):
            assert sign_in(attacker, email, "guess").status_code == 400
        throttled = sign_in(attacker, email)  # even the right password waits, from there
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
    with client_at(api, "203.0.113.5") as owner:
        assert sign_in(owner, email).status_code == 303


def test_password_spraying_from_one_address_is_throttled(api: Api) -> None:
    from app.services.accounts import users
    from tests.web_helpers import make_user, sign_in

    victim = make_user(api.db, "victim@example.org")
    with client_at(api, "198.51.100.9") as sprayer:
        for i in range(users.MAX_CLIENT_FAILURES):
            assert sign_in(sprayer, f"user{i}@example.org", "Winter2026!").status_code == 400
        assert sign_in(sprayer, victim, "Winter2026!").status_code == 429
    with client_at(api, "203.0.113.6") as owner:
        assert sign_in(owner, victim).status_code == 303


def test_failed_sign_ins_add_no_audit_rows(api: Api) -> None:
    from tests.conftest import table_counts
    from tests.web_helpers import make_user, sign_in

    email = make_user(api.db)
    before = table_counts(api.db)["audit_log"]
    for _ in range(3):
        assert sign_in(api.client, email, "wrong").status_code == 400
    assert table_counts(api.db)["audit_log"] == before


def test_sign_in_hashes_off_the_event_loop(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from app.services.accounts import users
    from tests.web_helpers import make_user, sign_in

    email = make_user(api.db)
    threads: list[str] = []
    verify = users.hasher.verify

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return verify(*args, **kwargs)

    monkeypatch.setattr(users.hasher, "verify", spy)
    loop_threads: list[str] = []

    @api.client.app.get("/__loop_thread")  # type: ignore[attr-defined]
    async def loop_thread() -> dict[str, str]:
        loop_threads.append(threading.current_thread().name)
        return {}

    api.client.get("/__loop_thread")
    assert sign_in(api.client, email).status_code == 303
    assert sign_in(api.client, email, "wrong").status_code == 400
    assert len(threads) == 2 and loop_threads
    assert loop_threads[0] not in threads, "argon2 ran on the event loop's thread"


def test_security_events_are_json_lines_without_secrets(api: Api) -> None:
    import logging

    from app import security_log
    from tests.web_helpers import PASSWORD, make_user, sign_in

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Collect()
    security_log.logger.addHandler(handler)
    try:
        email = make_user(api.db)
        assert sign_in(api.client, email, "wrong password").status_code == 400
        signed_in = sign_in(api.client, email)
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        assert api.client.post("/signout", data={}, follow_redirects=False).status_code == 403
        assert (
            api.client.post(
                "/regulators/new", data={}, headers={"Origin": "https://evil.example"}
            ).status_code
            == 403
        )
        assert api.get("/api/v1/audit").status_code == 401
        assert api.get("/api/v1/audit", headers=api.auth(Role.reader)).status_code == 403
        url = f"/api/v1/regulators/{api.regulator()['id']}"
        assert api.patch(url, {"name": "X"}, headers={"If-Match": None}).status_code == 428
        assert api.patch(url, {"name": "X"}, headers={"If-Match": '"9"'}).status_code == 412
    finally:
        security_log.logger.removeHandler(handler)
    events = [json.loads(line) for line in lines]
    names = [e["event"] for e in events]
    for expected in (
        "sign_in_failed",
        "sign_in",
        "csrf_refused",
        "unauthorized",
        "forbidden",
        "precondition_required",
        "stale_version",
        "token_new_address",
    ):
        assert expected in names, (expected, names)
    failed = next(e for e in events if e["event"] == "sign_in_failed")
    assert failed["email"] == email and failed["client"] == "testclient" and failed["path"] == "/signin"
    text = "\n".join(lines)
    for secret in (PASSWORD, "wrong password", cookie, *api.tokens.values()):
        assert secret not in text


@pytest.mark.parametrize(
    "weak",
    [
        "12345678",
        "password123",
        "Winter2026!",
        "qwertyuiop",
        "ann@example.org",
        "Ann Example1",
        "aaaaaaaaaaaa",
    ],
)
def test_guessable_passwords_are_refused(db: Database, weak: str) -> None:
    from app.errors import Invalid
    from app.services.accounts import users

    with db.transaction() as session, pytest.raises(Invalid) as refused:
        users.create(session, email="ann@example.org", name="Ann Example", role=Role.admin, password=weak)
    assert refused.value.errors[0].type == "weak_password"
    assert "too easy to guess" in refused.value.detail


def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Any:
    from typer.testing import CliRunner

    from app.config import get_settings

    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    return CliRunner()


def test_user_create_refuses_a_weak_admin_password(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import cli
    from app.config import get_settings

    runner = cli_env(db, monkeypatch)
    try:
        args = ["user", "create", "--email", "root@example.org", "--name", "Root", "--role", "admin"]
        result = runner.invoke(cli, [*args, "--password-stdin"], input="12345678\n")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "too easy to guess" in result.output


def test_user_list_disable_enable_set_role(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import cli
    from app.config import get_settings
    from tests.web_helpers import make_user, sign_in

    email = make_user(api.db, "ed@example.org", Role.editor)
    assert sign_in(api.client, email).status_code == 303
    assert "Sign out" in api.client.get("/").text
    runner = cli_env(api.db, monkeypatch)
    try:
        listed = runner.invoke(cli, ["user", "list"])
        assert listed.exit_code == 0, listed.output
        assert "ed@example.org" in listed.output and "editor" in listed.output and "active" in listed.output
        disabled = runner.invoke(cli, ["user", "disable", "ed@example.org"])
        assert disabled.exit_code == 0, disabled.output
        # Disabling ends the open session at once.
        assert "Sign out" not in api.client.get("/").text
        assert sign_in(api.client, email).status_code == 400
        assert "disabled" in runner.invoke(cli, ["user", "list"]).output
        assert runner.invoke(cli, ["user", "enable", "ed@example.org"]).exit_code == 0
        assert sign_in(api.client, email).status_code == 303
        promoted = runner.invoke(cli, ["user", "set-role", "ed@example.org", "reader"])
        assert promoted.exit_code == 0 and "now reader" in promoted.output
        assert "Sign out" not in api.client.get("/").text  # sessions under the old role end
        unknown = runner.invoke(cli, ["user", "disable", "nobody@example.org"])
        assert unknown.exit_code == 1 and "no user" in unknown.output
    finally:
        get_settings.cache_clear()


def test_an_idle_session_ends(api: Api) -> None:
    import datetime as dt

    from sqlalchemy import select

    from app.models import UserSession
    from app.services.accounts import users
    from tests.web_helpers import make_user, sign_in

    sign_in(api.client, make_user(api.db))
    assert "Sign out" in api.client.get("/").text
    with api.db.transaction() as session:
        row = session.scalars(select(UserSession)).one()
        row.last_seen_at = dt.datetime.now(dt.UTC) - users.IDLE_TIMEOUT + dt.timedelta(minutes=2)
    assert "Sign out" in api.client.get("/").text  # used within the timeout: its use is noted
    with api.db.transaction(write=False) as session:
        seen = session.scalars(select(UserSession)).one().last_seen_at
    assert seen is not None and seen > dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with api.db.transaction() as session:
        session.scalars(select(UserSession)).one().last_seen_at = (
            dt.datetime.now(dt.UTC) - users.IDLE_TIMEOUT - dt.timedelta(seconds=1)
        )
    assert "Sign out" not in api.client.get("/").text


def test_tokens_expire_after_90_days_unless_no_expiry(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from sqlalchemy import select

    from app.cli import cli
    from app.config import get_settings
    from app.models import ApiToken

    runner = cli_env(db, monkeypatch)
    try:
        assert runner.invoke(cli, ["token", "create", "--name", "default", "--role", "editor"]).exit_code == 0
        assert runner.invoke(cli, ["token", "create", "--name", "forever", "--no-expiry"]).exit_code == 0
    finally:
        get_settings.cache_clear()
    with db.transaction(write=False) as session:
        expiry = {t.name: t.expires_at for t in session.scalars(select(ApiToken))}
    assert expiry["forever"] is None
    left = expiry["default"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=89) < left <= dt.timedelta(days=90)


def test_the_notice_cookie_is_secure_over_https(api: Api) -> None:
    from tests.web_helpers import make_user, sign_in

    email = make_user(api.db)
    with TestClient(api.client.app, base_url="https://testserver") as client:
        response = sign_in(client, email)
        assert response.status_code == 303
        notice = [c for c in response.headers.get_list("set-cookie") if c.startswith("findings_notice=")]
        assert notice and "Secure" in notice[0]


def test_the_interactive_docs_load_nothing_from_another_host(api: Api) -> None:
    import re

    for path in ("/docs", "/redoc"):
        page = api.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources, page.text
        for source in sources:
            assert source.startswith("/"), (path, source)
            assert api.get(source).status_code == 200, source
        policy = page.headers["content-security-policy"]
        assert "https:" not in policy and "http:" not in policy
    script = api.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{title.__class__}", "without . or [ ]"),
        ("{title[0]}", "without . or [ ]"),
        ("{title!r}", "conversions"),
        ("{title:>99999999}", "widths over"),
        ("{title:.5000}", "widths over"),
        ("{title:{title}}", "widths over"),
        ("{}", "without . or [ ]"),
        ("{title", "not a valid template"),
    ],
)
def test_mapping_templates_refuse_attribute_index_and_huge_widths(template: str, message: str) -> None:
    from app.errors import Invalid
    from app.services.exchange.csv import mapping

    raw = {
        "format": mapping.FORMAT,
        "version": mapping.VERSION,
        "regulator": {"name": {"template": template}, "jurisdiction": {"value": "FR"}},
    }
    with pytest.raises(Invalid) as refused:
        mapping.parse(raw)
    found = [e for e in refused.value.errors if e.field.endswith("template")]
    assert found and message in found[0].message, refused.value.errors
    assert mapping.template_problem("{title:>20} ({year})") is None


def test_an_admin_must_enrol_a_second_factor_with_a_qr_code(api: Api) -> None:
    import re

    import pyotp

    from tests.web_helpers import csrf_of, make_user, second_factor, sign_in

    email = make_user(api.db, "root@example.org", Role.admin)
    response = sign_in(api.client, email)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/account/two-factor")
    # The password alone opens nothing.
    assert api.client.get("/regulators/new", follow_redirects=False).status_code == 303
    assert "Sign out" not in api.client.get("/").text
    page = api.client.get("/account/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text and "http" not in page.text.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", page.text).group(1)  # type: ignore[union-attr]
    wrong = api.client.post("/account/two-factor", data={"csrf_token": csrf_of(page.text), "code": "000000"})
    assert wrong.status_code == 422
    done = api.client.post(
        "/account/two-factor", data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()}
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", done.text)
    assert len(codes) == 10
    assert "Sign out" in api.client.get("/").text  # enrolled: the session is a full one now
    # Next time: password, then a code; a recovery code works once.
    api.client.cookies.clear()
    assert sign_in(api.client, email).headers["location"].startswith("/signin/two-factor")
    # The code just used to enrol is not good again (no replay) ...
    step = api.client.get("/signin/two-factor")
    replayed = api.client.post(
        "/signin/two-factor", data={"csrf_token": csrf_of(step.text), "code": pyotp.TOTP(secret).now()}
    )
    assert replayed.status_code == 400
    # ... the next one is.
    assert second_factor(api.client, secret, db=api.db).status_code == 303
    assert "Sign out" in api.client.get("/").text
    for expected in (303, 400):
        api.client.cookies.clear()
        sign_in(api.client, email)
        step = api.client.get("/signin/two-factor")
        answer = api.client.post(
            "/signin/two-factor",
            data={"csrf_token": csrf_of(step.text), "code": codes[0], "next": "/"},
            follow_redirects=False,
        )
        assert answer.status_code == expected


def test_an_editor_may_turn_on_two_factor_and_wrong_codes_are_throttled(api: Api) -> None:
    from app.services.accounts import users
    from tests.web_helpers import csrf_of, enrol_totp, make_user, second_factor, sign_in

    email = make_user(api.db, "ed@example.org", Role.editor)
    assert sign_in(api.client, email).headers["location"] == "/"  # optional for editors
    secret = enrol_totp(api.db, email)
    api.client.cookies.clear()
    assert sign_in(api.client, email).headers["location"].startswith("/signin/two-factor")
    for _ in range(users.MAX_FAILURES - 1):  # the password's success left the count alone
        step = api.client.get("/signin/two-factor")
        bad = api.client.post("/signin/two-factor", data={"csrf_token": csrf_of(step.text), "code": "123456"})
        assert bad.status_code == 400
    step = api.client.get("/signin/two-factor")
    api.client.post("/signin/two-factor", data={"csrf_token": csrf_of(step.text), "code": "123456"})
    assert second_factor(api.client, secret, db=api.db).status_code == 429


def test_password_change_page(api: Api) -> None:
    from tests.web_helpers import PASSWORD, make_user, post_form, sign_in

    email = make_user(api.db)
    other = TestClient(api.client.app)
    assert sign_in(other, email).status_code == 303
    assert sign_in(api.client, email).status_code == 303
    new = "Seven amber kites drift over Lisbon"
    weak = post_form(
        api.client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "password123", "new_password_again": "password123"},
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    wrong = post_form(
        api.client,
        "/account/password",
        {"current_password": "nope", "new_password": new, "new_password_again": new},
    )
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    done = post_form(
        api.client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "new_password_again": new},
    )
    assert done.status_code == 303
    assert "Sign out" in api.client.get("/").text  # this session stays
    assert "Sign out" not in other.get("/").text  # the others end
    api.client.cookies.clear()
    assert sign_in(api.client, email).status_code == 400
    assert sign_in(api.client, email, new).status_code == 303

"""Accounts: signing in and out, the session cookie, throttling, roles, cross-site refusal,
and the `findings user create` command."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import Database
from app.models import User, UserSession
from app.services.accounts import users
from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.web_helpers import (
    PASSWORD,
    csrf_of,
    fast_passwords,  # noqa: F401  (autouse: cheap argon2 costs)
    make_user,
    post_form,
    sign_in,
)


def session_cookie(response: object, name: str) -> str:
    """The Set-Cookie header of the session cookie among the response's cookies."""
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(name + "=")]  # type: ignore[attr-defined]
    assert len(found) == 1, response.headers  # type: ignore[attr-defined]
    return found[0]


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(api: Api) -> None:
    email = make_user(api.db)
    client = api.client
    response = sign_in(client, email)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = session_cookie(response, "findings_session")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    first_id = client.cookies["findings_session"]
    # Only a hash of the session id is stored.
    with api.db.transaction() as session:
        stored = session.scalars(select(UserSession.session_hash)).all()
    assert users.hash_session_id(first_id) in stored and first_id not in stored

    page = client.get("/")
    assert "Sign out" in page.text and "Ed" in page.text
    # The page showing the one-time "signed in" notice clears its cookie: for this answer only.
    assert page.headers["cache-control"] == "no-store"
    # Later pages hold the user's name: the browser alone may keep them, and asks each time.
    assert client.get("/").headers["cache-control"] == "private, no-cache"

    # Signing in again gives a new id and ends the old one.
    sign_in(client, email)
    second_id = client.cookies["findings_session"]
    assert second_id != first_id
    with api.db.transaction() as session:
        assert users.find_session(session, session_id=first_id) is None
        assert users.find_session(session, session_id=second_id) is not None

    token = csrf_of(client.get("/").text)
    out = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    cleared = session_cookie(out, "findings_session")
    assert 'findings_session=""' in cleared or "Max-Age=0" in cleared
    # The next page says so, once.
    assert "You are signed out." in client.get("/").text
    assert "You are signed out." not in client.get("/").text
    # The old cookie no longer opens anything.
    client.cookies.set("findings_session", second_id)
    assert "Sign out" not in client.get("/").text
    assert client.get("/decisions/new", follow_redirects=False).status_code == 303


def test_over_https_the_cookie_is_host_prefixed_and_secure(app: object, db: Database) -> None:
    email = make_user(db)
    with TestClient(app, base_url="https://testserver") as client:  # type: ignore[arg-type]
        response = sign_in(client, email)
        cookie = session_cookie(response, "__Host-findings_session")
        assert "Secure" in cookie and "HttpOnly" in cookie
        assert response.headers["strict-transport-security"] == "max-age=31536000"
        assert "Sign out" in client.get("/").text


def test_unknown_user_and_wrong_password_get_the_same_answer(api: Api) -> None:
    email = make_user(api.db)
    unknown = sign_in(api.client, "nobody@example.org")
    wrong = sign_in(api.client, email, "wrong password")
    assert unknown.status_code == wrong.status_code == 400
    message = "Unknown e-mail address or wrong password."
    assert message in unknown.text and message in wrong.text
    assert "set-cookie" not in wrong.headers
    assert sign_in(api.client, email, "x" * 500).status_code == 400


def test_repeated_failures_are_throttled(api: Api) -> None:
    email = make_user(api.db)
    for _ in range(users.MAX_FAILURES):
        assert sign_in(api.client, email, "not the password").status_code == 400
    throttled = sign_in(api.client, email)  # even the right password waits now
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in throttled.text
    assert "set-cookie" not in throttled.headers
    # Another address is not affected.
    other = make_user(api.db, "other@example.org")
    assert sign_in(api.client, other).status_code == 303


def test_disabled_users_cannot_sign_in(api: Api) -> None:
    import datetime as dt

    email = make_user(api.db)
    with api.db.transaction() as session:
        session.scalars(select(User)).one().disabled_at = dt.datetime.now(dt.UTC)
    assert sign_in(api.client, email).status_code == 400


def test_next_stays_on_this_site(api: Api) -> None:
    email = make_user(api.db)
    response = api.client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
    response = api.client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "next": "/decisions?q=a"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/decisions?q=a"


def test_editing_needs_an_editor(api: Api) -> None:
    anonymous = api.client.get("/regulators/new", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/signin?next=%2Fregulators%2Fnew"
    assert api.client.post("/regulators/new", data={"name": "x"}, follow_redirects=False).status_code == 303
    reader = make_user(api.db, "reader@example.org", Role.reader)
    sign_in(api.client, reader)
    refused = api.client.get("/regulators/new")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    assert "editor role" in refused.text
    assert "Add a regulator" not in api.client.get("/regulators").text


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_cross_site_posts_are_refused(api: Api, headers: dict[str, str]) -> None:
    sign_in(api.client, make_user(api.db))
    before = table_counts(api.db)
    response = post_form(api.client, "/regulators/new", {"name": "X", "jurisdiction": "CA"}, headers=headers)
    assert response.status_code == 403 and "another site" in response.text
    assert table_counts(api.db) == before
    # Sign-in from another site is refused too.
    assert sign_in(api.client, "ed@example.org", headers=headers).status_code == 403


def test_a_post_without_the_session_token_is_refused(api: Api) -> None:
    sign_in(api.client, make_user(api.db))
    before = table_counts(api.db)
    for token in (None, "forged"):
        data = {"name": "X", "jurisdiction": "CA"} | ({"csrf_token": token} if token else {})
        response = api.client.post("/regulators/new", data=data, follow_redirects=False)
        assert response.status_code == 403 and "security token" in response.text
    assert table_counts(api.db) == before
    same_origin = post_form(
        api.client,
        "/regulators/new",
        {"name": "X", "jurisdiction": "CA"},
        headers={"Origin": "http://testserver"},
    )
    assert same_origin.status_code == 303


def test_user_create_command(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        args = ["user", "create", "--email", "Ann@Example.org", "--name", "Ann", "--role", "editor"]
        result = runner.invoke(cli, [*args, "--password-stdin"], input="a good password\n")
        assert result.exit_code == 0, result.output
        assert "ann@example.org (editor)" in result.output
        again = runner.invoke(cli, [*args, "--password-stdin"], input="a good password\n")
        assert again.exit_code == 1 and "already exists" in again.output
        short = runner.invoke(
            cli,
            ["user", "create", "--email", "b@example.org", "--name", "B", "--password-stdin"],
            input="short\n",
        )
        assert short.exit_code == 1 and "8 to 128" in short.output
        prompted = runner.invoke(
            cli,
            ["user", "create", "--email", "c@example.org", "--name", "C"],
            input="another password\nanother password\n",
        )
        assert prompted.exit_code == 0, prompted.output
        assert "another password" not in prompted.output
    finally:
        get_settings.cache_clear()
    with db.transaction() as session:
        ann = session.scalar(select(User).where(User.email == "ann@example.org"))
        assert ann is not None and ann.role is Role.editor
        assert ann.password_hash.startswith("$argon2id$")
        assert users.authenticate(session, email="ANN@example.org", password="a good password") is not None


def test_passwords_must_have_8_to_128_characters(db: Database) -> None:
    from app.errors import Invalid

    with db.transaction() as session:
        for bad in ("short", "x" * 129):
            with pytest.raises(Invalid):
                users.create(session, email="p@example.org", name="P", role=Role.reader, password=bad)
        strong = "Quiet rivers carry 7 purple lanterns past the old mill at dawn; " * 2
        users.create(session, email="p@example.org", name="P", role=Role.reader, password=strong[:128])


def test_an_expired_session_opens_nothing(api: Api) -> None:
    import datetime as dt

    sign_in(api.client, make_user(api.db))
    assert "Sign out" in api.client.get("/").text
    with api.db.transaction() as session:
        session.scalars(select(UserSession)).one().expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(
            seconds=1
        )
    assert "Sign out" not in api.client.get("/").text
    assert api.client.get("/regulators/new", follow_redirects=False).status_code == 303

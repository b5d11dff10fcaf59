"""Helpers for the browser-page tests: accounts, signing in, and reading form tokens."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.db import Database
from app.services.accounts import two_factor, users
from app.vocab import Role

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with small costs, so the many sign-ins of the tests stay quick."""
    hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(users, "hasher", hasher)
    monkeypatch.setattr(users, "_DUMMY_HASH", hasher.hash("dummy password"))


def make_user(db: Database, email: str = "ed@example.org", role: Role = Role.editor) -> str:
    with db.transaction(actor="test") as session:
        users.create(session, email=email, name=email.split("@")[0].title(), role=role, password=PASSWORD)
    return email


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **kw: Any) -> Any:
    return client.post(
        "/signin", data={"email": email, "password": password, "next": "/"}, follow_redirects=False, **kw
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def version_of(html: str) -> int:
    found = VERSION.search(html)
    assert found, "no version in the form"
    return int(found.group(1))


def post_form(client: TestClient, path: str, data: dict[str, Any], **kw: Any) -> Any:
    """Open the form at `path` to read its token, then post `data` to it."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    body = {"csrf_token": csrf_of(page.text)} | data
    if "version" not in data and VERSION.search(page.text):
        body["version"] = str(version_of(page.text))
    return client.post(path, data=body, follow_redirects=False, **kw)


def enrol_totp(db: Database, email: str) -> str:
    """Turn on two-factor sign-in for the account; returns its TOTP secret."""
    import datetime as dt

    from sqlalchemy import select

    from app.models import User

    with db.transaction(actor="test") as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        user = two_factor.begin_enrolment(session, user_id=user.id)
        user.totp_enabled_at = dt.datetime.now(dt.UTC)
        assert user.totp_secret is not None
        return user.totp_secret


def second_factor(client: TestClient, secret: str, next_url: str = "/", db: Database | None = None) -> Any:
    """Give the current TOTP code on the second sign-in step. A code is good once: with `db`,
    the last accepted step is forgotten first (as if the next 30 seconds had passed)."""
    import pyotp
    from sqlalchemy import update

    from app.models import User

    if db is not None:
        with db.transaction(actor="test") as session:
            session.execute(update(User).where(User.totp_secret == secret).values(totp_last_step=None))

    page = client.get("/signin/two-factor", params={"next": next_url})
    assert page.status_code == 200, page.text
    return client.post(
        "/signin/two-factor",
        data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now(), "next": next_url},
        follow_redirects=False,
    )

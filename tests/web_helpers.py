"""Helpers for the browser-page tests: accounts, signing in, and reading form tokens."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.db import Database
from app.services import users
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

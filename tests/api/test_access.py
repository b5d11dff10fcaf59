"""The access matrix: every route of the app, times {anonymous, reader, editor, admin}.

Generated from `app.routes` (API, pages and anything else mounted): a route that declares no
rule (see `app/access.py`) fails, and each declared rule is checked by calling the route as
each kind of caller. A caller is let in when the answer is neither 401 nor 403 (nor, for a
page, a redirect to sign in); the call is made against an empty database with a path id
that names nothing, so a caller let in gets 404 or 422 at worst and nothing is changed.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.access import Access, rule_of
from app.db import Database
from app.main import create_app
from app.vocab import Role
from tests.conftest import Api

CALLERS: tuple[Role | None, ...] = (None, Role.reader, Role.editor, Role.admin)
# Paths that only an admin may reach, whatever their declaration says.
ADMIN_ONLY = re.compile(r"^/api/v1/(tokens|audit|import|users)(/|$)|^/admin(/|$)")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Paths whose writes change only the caller's own things (what it follows), not the record:
# any token may use them.
OWN_THINGS = re.compile(r"^/api/v1/subscriptions(/|$)")
# Writes that only put a reader's error report in the editors' queue (rate-limited per token):
# any token may make them too.
REPORTS = re.compile(r"^/api/v1/reports$")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    rule: Access | None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def endpoints() -> list[Endpoint]:
    """Every (method, path) the app answers, with the rule its route declares."""
    app = create_app(Database("sqlite:///:memory:"))
    found = []
    for route in iter_route_contexts(app.routes):
        path = route.path
        if path is None:
            continue
        methods = sorted((route.methods or {"GET"}) - {"HEAD", "OPTIONS"})
        found.extend(Endpoint(method, path, rule_of(route)) for method in methods)
    return found


ENDPOINTS = endpoints()


@pytest.fixture(scope="module")
def matrix_api(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One app for the whole matrix: no call in it changes anything."""
    path = tmp_path_factory.mktemp("matrix") / "matrix.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    database = Database(f"sqlite:///{path}")
    with TestClient(create_app(database)) as client:
        yield Api(client, database)
    database.dispose()


def allowed(rule: Access, caller: Role | None) -> bool:
    if rule is Access.public:
        return True
    return caller is not None and caller.allows(Role(rule.value))


def concrete(path: str) -> str:
    """The path with each parameter filled: ids name no record; a file path names nothing."""
    return re.sub(r"\{[^}:]+(:path)?\}", lambda m: "no-such-file" if m.group(1) else "999999", path)


def call(api: Api, endpoint: Endpoint, caller: Role | None) -> Any:
    api.client.cookies.clear()
    kwargs: dict[str, Any] = {"follow_redirects": False}
    if endpoint.is_api:
        kwargs["headers"] = api.auth(caller)
        if endpoint.method in UNSAFE:
            kwargs["headers"] |= {"Content-Type": "application/json"}
            kwargs["content"] = b"{}"
    else:
        # A page takes a signed-in session, and a form post its session's token.
        token = api.sign_in(caller) if caller is not None else ""
        if endpoint.method in UNSAFE:
            kwargs["data"] = {"csrf_token": token}
    return api.client.request(endpoint.method, concrete(endpoint.path), **kwargs)


def refused(endpoint: Endpoint, response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("location", "")
    to_sign_in = any(word in location for word in ("sign", "login"))
    return not endpoint.is_api and response.status_code in (302, 303, 307) and to_sign_in


def test_the_matrix_covers_the_api() -> None:
    paths = {e.path for e in ENDPOINTS}
    assert {"/api/v1/decisions", "/api/v1/tokens", "/api/v1/audit", "/openapi.json"} <= paths
    assert len(ENDPOINTS) >= 30


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_route_declares_a_sound_rule(endpoint: Endpoint) -> None:
    assert endpoint.rule is not None, (
        f"{endpoint.id} declares no access rule: mark its endpoint with @public, or give it a "
        "dependency marked with app.access.mark (Editor, Admin), or declare_path() for a mount."
    )
    if ADMIN_ONLY.search(endpoint.path):
        assert endpoint.rule is Access.admin, f"{endpoint.id} must be admin-only"
    if endpoint.is_api and endpoint.method in UNSAFE:
        least = (
            Access.reader
            if OWN_THINGS.search(endpoint.path) or REPORTS.search(endpoint.path)
            else Access.editor
        )
        assert endpoint.rule.rank >= least.rank, f"{endpoint.id} changes data: {least.value} at least"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_route_lets_in_exactly_the_callers_its_rule_allows(matrix_api: Api, endpoint: Endpoint) -> None:
    api = matrix_api
    assert endpoint.rule is not None
    for caller in CALLERS:
        response = call(api, endpoint, caller)
        who = caller.value if caller else "anonymous"
        assert response.status_code < 500, f"{endpoint.id} as {who}: {response.status_code}"
        if allowed(endpoint.rule, caller):
            assert not refused(endpoint, response), f"{endpoint.id} refused {who}: {response.text}"
        else:
            assert refused(endpoint, response), f"{endpoint.id} let {who} in: {response.status_code}"
            if endpoint.is_api and response.status_code == 401:
                assert response.headers["www-authenticate"].startswith("Bearer")
                assert response.headers["content-type"] == "application/problem+json"


def test_a_route_without_a_declaration_has_no_rule_and_marks_are_found() -> None:
    from app.api.deps import Admin

    app = create_app(Database("sqlite:///:memory:"))

    @app.get("/undeclared")
    def undeclared() -> None: ...

    @app.post("/admin-thing")
    def admin_thing(_: Admin) -> None: ...

    rules = {(min(r.methods or {"GET"}), r.path): rule_of(r) for r in iter_route_contexts(app.routes)}
    assert rules["GET", "/undeclared"] is None
    assert rules["POST", "/admin-thing"] is Access.admin
    assert rules["GET", "/api/v1/decisions"] is Access.public
    assert rules["POST", "/api/v1/decisions"] is Access.editor

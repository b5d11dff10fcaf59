"""HTTP as clients expect it: HEAD on every GET route, ETag / Last-Modified and 304, gzip,
and the Cache-Control of each kind of answer (app/http_cache.py)."""

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import text

from app import http_cache
from app.vocab import Role
from tests.conftest import Api
from tests.web.test_web_pages import load_demo
from tests.web_helpers import (
    csrf_of,
    fast_passwords,  # noqa: F401  (autouse: cheap argon2 costs)
)

FEED = "/feeds/decisions.atom"
PUBLIC = "public, max-age=60"
PARAM = re.compile(r"\{(\w+)\}")
ALERTS = ("/follow", "/subscriptions", "/unsubscribe", "/signup", "/password-reset", "/api/v1/subscriptions/")


def settle() -> None:
    """Wait until the record's last change is in a past second: only then is it given as
    Last-Modified (a later change within the same second would not move it)."""
    time.sleep(1.05)


def get_routes(app: Any) -> list[str]:
    """Every GET path of the app, from its routes (plus a file of the static mount)."""
    paths = []
    for route in iter_route_contexts(app.routes):
        methods = getattr(route, "methods", None)
        if methods is None:
            # A mount of static files: one file it holds.
            directory = Path(route.app.directory)
            first = sorted(f for f in directory.rglob("*") if f.is_file())[0]
            paths.append(route.path + "/" + first.relative_to(directory).as_posix())
        elif "GET" in methods:
            paths.append(route.path)
    return paths


def fill(path: str, ids: dict[str, int]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        for kind, id in ids.items():
            if name.startswith(kind):
                return str(id)
        if name == "record_id":
            return str(ids[path.split("/")[1][:-1]])  # /decisions/{record_id}/edit: a decision
        if name in ("token_id", "subscription_id"):
            return "1"
        if name == "token":
            return "not-a-token-from-an-email"
        raise AssertionError(f"no id for {name} in {path}")

    return PARAM.sub(one, path)


def test_head_answers_every_get_route_like_its_get_without_a_body(api: Api, app: Any) -> None:
    ids = load_demo(api)
    kept = api.client.post(
        "/api/v1/documents", files={"file": ("notes.txt", b"Notes of the hearing.\n")}, headers=api.auth()
    )
    ids["document"] = api.ok(kept, 201)["id"]
    api.sign_in(Role.admin)
    api.get("/")  # the page with the one-time notice of signing in
    admin = api.auth(Role.admin)
    # A reader's error report, for the pages and reads of one.
    filed = api.client.post(
        "/api/v1/reports",
        json={"target": {"type": "decision", "id": ids["decision"]}, "text": "Wrong date."},
        headers=admin,
    )
    ids["report"] = api.ok(filed, 201)["id"]
    # A merge, for the merges' reads; another decision and organisation, for the pages that
    # ask to confirm a merge into them.
    dup = api.ok(api.post("/api/v1/organisations", {"name": "Dup Co"}, headers=admin), 201)
    kept = api.ok(api.post("/api/v1/organisations", {"name": "Dup Co Ltd"}, headers=admin), 201)
    merged = api.post(
        f"/api/v1/organisations/{dup['id']}/merge", {"into": kept["id"]}, headers=admin | {"If-Match": '"1"'}
    )
    api.ok(merged)
    ids["merge"] = api.ok(api.get("/api/v1/merges", headers=admin))["items"][0]["id"]
    other = api.ok(
        api.post(
            "/api/v1/decisions",
            {
                "reference": "HEAD-1",
                "title": "Another",
                "kind": "other",
                "issued_on": "2020-01-01",
                "regulators": [{"regulator_id": ids["regulator"], "role": "lead"}],
            },
            headers=admin,
        ),
        201,
    )
    into = {"decisions": other["id"], "organisations": kept["id"]}
    paths = get_routes(app)
    assert "/feeds/decisions.atom" in paths and "/api/v1/decisions/{decision_id}" in paths
    for template in paths:
        path = fill(template, ids)
        if template == "/report":  # the form names the record reported on
            path += f"?target=decision&id={ids['decision']}"
        if template.endswith("/merge"):  # the page asking to confirm names the record kept
            path += f"?into={into[template.split('/')[1]]}"
        got = api.get(path, headers=admin)
        head = api.client.head(path, headers=admin)
        # The alerts' pages answer as their settings say (sign-up closed by default) and the
        # e-mailed links need a real token: for those, HEAD answers whatever GET answers.
        if not template.startswith(ALERTS):
            assert got.status_code == 200, (path, got.status_code)
        assert head.status_code == got.status_code, (path, head.status_code)
        assert head.content == b"", path
        for name in ("content-type", "etag", "cache-control", "content-security-policy"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
        if "content-length" in got.headers:
            assert head.headers["content-length"] == got.headers["content-length"], path


def test_head_of_a_page_as_curl_sends_it(api: Api) -> None:
    load_demo(api)
    head = api.client.head("/decisions")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    assert int(head.headers["content-length"]) > 1000
    assert head.headers["cache-control"] == PUBLIC
    assert head.headers["etag"].startswith('W/"')
    assert head.headers["x-content-type-options"] == "nosniff"


def test_405_names_head_beside_get(api: Api) -> None:
    response = api.client.put("/api/v1/decisions")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, POST"


def test_feed_polled_unchanged_gets_304_and_a_write_moves_its_etag(api: Api) -> None:
    ids = load_demo(api)
    first = api.get(FEED)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == PUBLIC
    assert "Accept-Encoding" in first.headers["vary"] and "Cookie" in first.headers["vary"]

    again = api.get(FEED, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == PUBLIC
    assert "content-type" not in again.headers
    assert again.headers["content-security-policy"]
    # A list of tags, and HEAD, are answered alike.
    assert api.get(FEED, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert api.client.head(FEED, headers={"If-None-Match": etag}).status_code == 304
    # `*`: 304 where the address has an answer, and not where it has none.
    assert api.get(FEED, headers={"If-None-Match": "*"}).status_code == 304
    assert api.get("/api/v1/decisions/999999", headers={"If-None-Match": "*"}).status_code == 404

    api.decision(ids["regulator"], reference="NEW-304", issued_on="2026-11-30")
    changed = api.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "Decision NEW-304" in changed.text
    assert api.get(FEED, headers={"If-None-Match": changed.headers["etag"]}).status_code == 304


def test_the_validator_separates_url_as_of_and_the_caller(api: Api) -> None:
    load_demo(api)
    plain = api.get("/api/v1/decisions").headers["etag"]
    assert api.get("/api/v1/decisions", params={"as_of": "2020-01-01"}).headers["etag"] != plain
    assert api.get("/api/v1/decisions", params={"limit": "2"}).headers["etag"] != plain
    with_token = api.get("/api/v1/decisions", headers=api.auth(Role.reader))
    assert with_token.headers["etag"] != plain
    assert with_token.headers["cache-control"] == "private, no-cache"
    # The same request again: the same validator.
    assert api.get("/api/v1/decisions").headers["etag"] == plain


def test_sign_in_and_sign_out_change_the_pages_validator(api: Api) -> None:
    load_demo(api)
    anonymous = api.get("/decisions")
    etag = anonymous.headers["etag"]
    api.sign_in(Role.editor)
    api.get("/decisions")  # the page showing the one-time notice
    signed_in = api.get("/decisions", headers={"If-None-Match": etag})
    assert signed_in.status_code == 200
    assert "Sign out" in signed_in.text
    assert signed_in.headers["cache-control"] == "private, no-cache"
    mine = signed_in.headers["etag"]
    assert mine != etag
    # Revalidated by the browser: the route runs (the session is checked), then 304.
    assert api.get("/decisions", headers={"If-None-Match": mine}).status_code == 304

    token = csrf_of(api.get("/").text)
    assert api.client.post("/signout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    api.get("/decisions")  # the notice of signing out
    out = api.get("/decisions", headers={"If-None-Match": mine})
    assert out.status_code == 200
    assert "Sign out" not in out.text


def test_if_modified_since_answers_304_until_the_record_changes(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = load_demo(api)
    settle()
    first = api.get("/api/v1/stats")
    modified = first.headers["last-modified"]
    assert api.get("/api/v1/stats", headers={"If-Modified-Since": modified}).status_code == 304
    api.decision(ids["regulator"], reference="NEW-IMS", issued_on="2026-11-30")
    assert api.get("/api/v1/stats", headers={"If-Modified-Since": modified}).status_code == 200
    # Not given within the second of the last change.
    with api.db.engine.connect() as conn:
        last = conn.execute(text("SELECT at FROM audit_log ORDER BY id DESC LIMIT 1")).scalar_one()
    last = dt.datetime.fromisoformat(str(last)).replace(tzinfo=dt.UTC)
    monkeypatch.setattr(http_cache.time, "time", lambda: last.timestamp())
    assert "last-modified" not in api.get("/api/v1/stats").headers
    monkeypatch.undo()
    settle()
    assert "last-modified" in api.get("/api/v1/stats").headers


def test_items_keep_their_version_etag_and_answer_304_only_while_nothing_changed(api: Api) -> None:
    ids = load_demo(api)
    url = f"/api/v1/recommendations/{ids['recommendation']}"
    decision_url = f"/api/v1/decisions/{ids['decision']}"
    settle()
    read = api.get(decision_url)
    version = read.json()["version"]
    assert read.headers["etag"] == f'"{version}"'
    conditional = {"If-None-Match": read.headers["etag"], "If-Modified-Since": read.headers["last-modified"]}
    assert api.get(decision_url, headers=conditional).status_code == 304
    # The version alone does not say that nested parts are unchanged.
    assert api.get(decision_url, headers={"If-None-Match": read.headers["etag"]}).status_code == 200

    # An assessment changes the decision's compliance but not its version.
    api.assess(ids["recommendation"], "complied", "2026-11-30")
    after = api.get(decision_url, headers=conditional)
    assert after.status_code == 200
    assert after.headers["etag"] == f'"{version}"'
    # If-Match of a write still takes the item's ETag.
    rec = api.get(url)
    patched = api.patch(url, {"text": "Changed"}, headers={"If-Match": rec.headers["etag"]})
    assert patched.status_code == 200, patched.text
    assert patched.headers["cache-control"] == "no-store"


def test_gzip_when_asked_for_json_pages_feeds_and_the_streamed_csv(api: Api) -> None:
    load_demo(api)
    for path in ("/api/v1/decisions", "/decisions", FEED, "/api/v1/export/decisions.csv"):
        plain = api.get(path, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200
        assert "content-encoding" not in plain.headers
        # The client inflates the body: equal to the plain one, sent compressed.
        packed = api.get(path, headers={"Accept-Encoding": "gzip"})
        assert packed.status_code == 200
        assert packed.headers["content-encoding"] == "gzip", path
        assert "Accept-Encoding" in packed.headers["vary"]
        assert packed.content == plain.content, path


def test_cache_control_of_each_kind_of_answer(api: Api) -> None:
    ids = load_demo(api)
    admin = api.auth(Role.admin)
    assert api.get("/").headers["cache-control"] == PUBLIC
    assert api.get(f"/api/v1/decisions/{ids['decision']}").headers["cache-control"] == PUBLIC
    assert api.get("/static/site.css").headers["cache-control"] == "public, max-age=300"
    for secret in ("/api/v1/tokens", "/api/v1/tokens/1", "/api/v1/audit", "/api/v1/subscriptions"):
        response = api.get(secret, headers=admin)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store", secret
        # Never an ETag to revalidate a secret with; one token's names the version a revocation
        # must match (If-Match), as every item that can be deleted does.
        assert ("etag" in response.headers) == (secret == "/api/v1/tokens/1"), secret
    created = api.post("/api/v1/tokens", {"name": "new", "role": "reader"}, role=Role.admin)
    assert created.status_code == 201 and "token" in created.json()
    assert created.headers["cache-control"] == "no-store"
    assert api.get("/signin").headers["cache-control"] == "no-store"
    assert api.get("/api/v1/decisions/999999").headers["cache-control"] == "no-store"
    assert api.get("/decisions/new", follow_redirects=False).headers["cache-control"] == "no-store"
    api.sign_in(Role.editor)
    api.get("/")  # the notice
    assert api.get("/").headers["cache-control"] == "private, no-cache"
    form = api.get(f"/decisions/{ids['decision']}/edit")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    assert form.headers["cache-control"] == "no-store"
    assert api.get("/recommendations/new").headers["cache-control"] == "no-store"

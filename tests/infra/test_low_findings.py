"""The third review's low findings on headers, links, exports and the contract (issue 30)."""

from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.db import Database
from app.main import create_app
from app.services.reporting.csv_export import safe_cell
from app.vocab import Role
from tests.conftest import Api
from tests.server_helpers import serving


def app_with(db: Database, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> TestClient:
    for name, value in settings.items():
        monkeypatch.setattr(get_settings(), name, value)
    return TestClient(create_app(db))


# -- CSV exports: every invisible format character is skipped before a formula --------------


@pytest.mark.parametrize(
    "prefix",
    [
        "\u00ad",  # soft hyphen
        "\u061c",  # Arabic letter mark
        "\u2066",  # left-to-right isolate
        "\u2067",
        "\u2068",
        "\u2069",  # pop directional isolate
        "\u202e",  # right-to-left override
        "\u2061",  # function application (an invisible operator)
        "\U000e0001",  # language tag
        "\u2028",  # line separator
        "\u00ad\u2066 \u200b",
    ],
)
@pytest.mark.parametrize("formula", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\uff1d1"])
def test_formulas_behind_invisible_format_characters_are_defused(prefix: str, formula: str) -> None:
    assert safe_cell(prefix + formula) == "'" + prefix + formula


@pytest.mark.parametrize("text", ["\u00adword", "\u2066Acme\u2069", "a=b", "\u00ad"])
def test_text_without_a_formula_is_left_alone(text: str) -> None:
    assert safe_cell(text) == text


# -- HSTS when BASE_URL says the site is served over HTTPS ----------------------------------


def test_hsts_goes_with_every_answer_when_base_url_is_https(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app speaks plain HTTP to the proxy that ends TLS; BASE_URL alone tells.
    with app_with(db, monkeypatch, base_url="https://findings.example.org") as client:
        for path in ("/", "/api/v1/regulators", "/robots.txt", "/api/v1/decisions/999", "/static/site.css"):
            answer = client.get(path)
            assert answer.headers.get("strict-transport-security") == "max-age=31536000", path


def test_no_hsts_over_plain_http(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    with app_with(db, monkeypatch, base_url="http://127.0.0.1:8000") as client:
        assert "strict-transport-security" not in client.get("/").headers
    with app_with(db, monkeypatch, base_url=None) as client:
        assert "strict-transport-security" not in client.get("/").headers


# -- Links never follow the Host header ------------------------------------------------------


def test_without_base_url_or_allowed_hosts_links_follow_the_address_reached(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither BASE_URL nor ALLOWED_HOSTS: absolute links (Location, feeds, pages) are built from
    the address the connection reached, as the socket says, never from the Host header."""
    monkeypatch.setattr(get_settings(), "base_url", None)
    monkeypatch.setattr(get_settings(), "allowed_hosts", None)
    api = Api(TestClient(create_app(db)), db)
    with serving(create_app(db)) as url, httpx.Client(base_url=url) as client:
        evil = {"Host": "evil.example"}
        created = client.post(
            "/api/v1/regulators",
            json={"name": "OPC", "jurisdiction": "CA"},
            headers=evil | api.auth(Role.editor),
        )
        assert created.status_code == 201, created.text
        assert created.headers["location"].startswith(f"{url}/api/v1/regulators/")
        for path in ("/feeds/decisions.atom", "/signin", "/"):
            answer = client.get(path, headers=evil)
            assert answer.status_code == 200 and "evil.example" not in answer.text, path
        assert "evil.example" not in client.get("/feeds/decisions.atom", headers=evil).text
        assert f"{url}/" in client.get("/feeds/decisions.atom", headers=evil).text


# -- DELETE /api/v1/tokens/{id}: If-Match, like every DELETE ---------------------------------


def test_revoking_a_token_needs_the_version_read(api: Api) -> None:
    admin = api.auth(Role.admin)
    created = api.ok(api.post("/api/v1/tokens", {"name": "robot"}, role=Role.admin), 201)
    url = f"/api/v1/tokens/{created['id']}"
    read = api.get(url, headers=admin)
    assert read.headers["etag"] == '"1"'
    missing = api.client.delete(url, headers=admin)
    assert missing.status_code == 428 and missing.headers["content-type"] == "application/problem+json"
    stale = api.client.delete(url, headers=admin | {"If-Match": '"7"'})
    assert stale.status_code == 412
    assert api.ok(api.get(url, headers=admin))["revoked_at"] is None
    done = api.client.delete(url, headers=admin | {"If-Match": read.headers["etag"]})
    assert done.status_code == 204
    assert api.ok(api.get(url, headers=admin))["revoked_at"] is not None
    operation = api.get("/openapi.json").json()["paths"]["/api/v1/tokens/{token_id}"]["delete"]
    assert {"412", "428"} <= set(operation["responses"])
    assert any(p["name"].lower() == "if-match" and p["required"] for p in operation["parameters"])

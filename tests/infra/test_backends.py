"""Every list and read, with its filters, sorts, cursors and `as_of`, answers alike on both
databases (GROUP BY of derived statuses, row-value cursors, CHECK constraints, JSON, UTC)."""

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.db import Database
from app.main import create_app
from app.models import AuditEntry, Decision
from app.services import demo
from tests.conftest import Api


@pytest.fixture
def loaded(api: Api) -> Api:
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    return api


def walk(api: Api, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, fetched two at a time through the cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = api.ok(api.get(url, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_sorts_page_through_everything(loaded: Api) -> None:
    """Row-value cursors ((column, id) > (value, last_id)) over dates, strings and ids."""
    for path, sorts in [
        ("decisions", ["-issued_on", "issued_on", "reference", "-reference", "title", "-id"]),
        ("organisations", ["name", "-name"]),
        ("regulators", ["name", "-id"]),
        ("recommendations", ["-id"]),
    ]:
        for sort in sorts:
            everything = loaded.ok(loaded.get(f"/api/v1/{path}", params={"sort": sort}))["items"]
            paged = walk(loaded, f"/api/v1/{path}", sort=sort)
            assert [x["id"] for x in paged] == [x["id"] for x in everything], (path, sort)


def test_lists_as_of_a_day(loaded: Api) -> None:
    api = loaded
    as_of = {"as_of": "2022-06-01"}
    decisions = walk(api, "/api/v1/decisions", **as_of)
    everything = walk(api, "/api/v1/decisions")
    assert [d["id"] for d in decisions] == [d["id"] for d in everything if d["issued_on"] <= "2022-06-01"]
    canada = api.ok(api.get("/api/v1/decisions", params={"jurisdiction": "CA", **as_of}))["items"]
    assert [d["compliance"] for d in canada] == ["partially_complied"]
    partial = api.ok(api.get("/api/v1/decisions", params={"compliance": "partially_complied", **as_of}))
    assert [d["id"] for d in partial["items"]] == [canada[0]["id"]]
    statuses = [r["status"] for r in walk(api, "/api/v1/recommendations", **as_of)]
    assert statuses.count("complied") == 1 and statuses.count("not_complied") >= 2
    not_complied = walk(api, "/api/v1/recommendations", status="not_complied", **as_of)
    assert {r["status"] for r in not_complied} == {"not_complied"}
    walk(api, "/api/v1/recommendations", overdue="true", **as_of)
    opc = canada[0]["regulators"][0]["regulator_id"]
    assert len(walk(api, "/api/v1/recommendations", overdue="false", regulator_id=opc)) == 3
    for path in ("regulators", "organisations", "cases"):
        now = walk(api, f"/api/v1/{path}")
        then = walk(api, f"/api/v1/{path}", **as_of)
        assert [x["id"] for x in now] == [x["id"] for x in then]
        for item in now:
            api.ok(api.get(f"/api/v1/{path}/{item['id']}", params=as_of))
    clearview = api.ok(api.get("/api/v1/organisations", params={"q": "Clearview AI, Inc."}))["items"][0]
    before = api.ok(api.get(f"/api/v1/organisations/{clearview['id']}", params={"as_of": "2021-06-01"}))
    assert before["decision_count"] == 1
    assert before["compliance"] == "partially_complied"
    assert before["recommendation_counts"] == {"complied": 1, "not_complied": 2}
    after = api.ok(api.get(f"/api/v1/organisations/{clearview['id']}"))
    assert after["decision_count"] == 8
    assert set(after["penalties"]) >= {"EUR", "GBP"}


def test_decision_filters(loaded: Api) -> None:
    api = loaded
    for params, n in [
        ({"kind": "fine"}, None),
        ({"tag": "biometrics"}, None),
        ({"issued_from": "2022-01-01", "issued_to": "2022-12-31"}, None),
        ({"jurisdiction": "CA-QC"}, 1),
        ({"jurisdiction": "GB"}, None),
    ]:
        items = walk(api, "/api/v1/decisions", **params)
        assert items, params
        if n is not None:
            assert len(items) == n


def test_database_checks_hold(db: Any) -> None:
    """The vocabularies and pairs are CHECK constraints on both databases."""
    with db.engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(
            text(
                "INSERT INTO regulators (name, jurisdiction, kind, version, created_at, updated_at) "
                "VALUES ('x', 'CA', 'wizard', 1, :now, :now)"
            ),
            {"now": dt.datetime.now(dt.UTC)},
        )


def test_audit_json_and_utc_timestamps(loaded: Api) -> None:
    with loaded.db.transaction(actor="test") as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "decision")).first()
        assert entry is not None and entry.after is not None
        assert entry.after["reference"]
        assert entry.at.tzinfo is not None and entry.at.utcoffset() == dt.timedelta(0)
        decision = session.scalars(select(Decision)).first()
        assert decision is not None and decision.created_at.utcoffset() == dt.timedelta(0)


def test_a_full_pool_answers_503(db: Database) -> None:
    """When every pooled connection stays busy past DB_POOL_TIMEOUT, the caller gets a 503."""
    url = db.engine.url.render_as_string(hide_password=False)
    small = Database(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        with small.engine.connect(), TestClient(create_app(small)) as client:
            response = client.get("/api/v1/regulators")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["retry-after"]
    finally:
        small.dispose()


def test_largest_ids_are_plain_not_found(api: Api) -> None:
    """The largest id the API takes (the largest integer every JSON client reads exactly) fits
    the BIGINT keys of PostgreSQL and SQLite's INTEGER alike; one more is refused."""
    from app.schemas.common import MAX_ID

    biggest = MAX_ID
    for path in ("decisions", "recommendations", "organisations", "regulators", "cases"):
        assert api.get(f"/api/v1/{path}/{biggest}").status_code == 404
    page = api.ok(api.get("/api/v1/decisions", params={"regulator_id": biggest, "organisation_id": biggest}))
    assert page["items"] == []
    assert api.get(f"/api/v1/decisions/{biggest + 1}").status_code == 422

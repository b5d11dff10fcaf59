"""The recommendations list answered as bytes from one statement per page (two where the order
is computed: the page's ids, then their columns), the same JSON, byte for byte, as the read
models validated and serialized through the response model; on the demo record and UPR's
sample (recommending States, provenance)."""

import datetime as dt
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.models import Decision, DecisionRegulator, Recommendation
from app.schemas.common import Page
from app.schemas.filters import RecommendationFilter
from app.schemas.recommendation import RecommendationRead
from app.services import demo
from app.services.record import recommendations
from app.services.shared.pagination import paginate
from tests.conftest import Api
from tests.exchange.test_real_data import load
from tests.exchange.test_upr_folding import SAMPLE

PAGE_MODEL = TypeAdapter(Page[RecommendationRead])


def before(
    session: Session, filters: RecommendationFilter, *, sort: str, limit: int, cursor: str | None
) -> bytes:
    """The page as it was answered before: ORM rows, read models, the response model's JSON."""
    rows, next_cursor = paginate(
        session,
        recommendations.filtered(filters),
        sorts=recommendations.sorts(filters.as_of),
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    items = recommendations.read_many(session, [r[0] for r in rows], as_of=filters.as_of)
    return PAGE_MODEL.dump_json(Page(items=items, next_cursor=next_cursor), by_alias=True)


def some_filters(session: Session) -> list[dict[str, Any]]:
    decision_id = session.scalar(select(Recommendation.decision_id).order_by(Recommendation.id))
    organisation_id = session.scalar(
        select(Recommendation.organisation_id).order_by(Recommendation.id.desc())
    )
    regulator_id = session.scalar(
        select(DecisionRegulator.regulator_id).order_by(DecisionRegulator.decision_id)
    )
    day = session.scalar(select(Decision.issued_on).order_by(Decision.issued_on.desc()))
    assert day is not None
    earlier = (day - dt.timedelta(days=400)).isoformat()
    return [
        {},
        {"status": "pending"},
        {"status": "pending", "overdue": True},
        {"overdue": False},
        {"decision_id": decision_id},
        {"organisation_id": organisation_id},
        {"regulator_id": regulator_id},
        {"as_of": earlier},
        {"as_of": earlier, "overdue": True},
        {"as_of": earlier, "status": "pending"},
        {"q": "data"},
    ]


@pytest.fixture
def record(api: Api) -> list[dict[str, Any]]:
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    load(api.db, "upr.toml", SAMPLE)
    with api.db.transaction(write=False) as session:
        return some_filters(session)


def walk(api: Api, query: dict[str, Any], sort: str) -> list[tuple[bytes, bytes]]:
    """Every page of the list through the API and as before, side by side."""
    filters = RecommendationFilter.model_validate(query)
    pages = []
    cursor = None
    while True:
        params = {**query, "sort": sort, "limit": 3} | ({"cursor": cursor} if cursor else {})
        response = api.client.get("/api/v1/recommendations", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        with api.db.transaction(write=False) as session:
            old = before(session, filters, sort=sort, limit=3, cursor=cursor)
            new = recommendations.list_json(session, filters, sort=sort, limit=3, cursor=cursor)
        assert new == old
        pages.append((response.content, old))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("sort", list(recommendations.SORTS))
def test_every_page_is_the_same_json_as_before(api: Api, record: list[dict[str, Any]], sort: str) -> None:
    seen = 0
    for query in record:
        for answered, old in walk(api, query, sort):
            assert answered == old, (query, sort)
            seen += len(PAGE_MODEL.validate_json(answered).items)
    assert seen > 20


def test_the_pages_models_are_the_same_as_before(api: Api, record: list[dict[str, Any]]) -> None:
    with api.db.transaction(write=False) as session:
        for query in record:
            filters = RecommendationFilter.model_validate(query)
            page = recommendations.list_(session, filters, sort="-due_on", limit=500)
            assert PAGE_MODEL.dump_json(page) == before(
                session, filters, sort="-due_on", limit=500, cursor=None
            )


@pytest.mark.parametrize("sort", list(recommendations.SORTS))
def test_the_page_reads_the_costly_columns_of_its_rows_only(
    api: Api, record: list[dict[str, Any]], sort: str
) -> None:
    """By the id (an index gives the order), one statement; by a computed key, the page's ids
    first, with no subquery of the read's columns (recommending parties, the date's precision,
    provenance) that the database would evaluate for every matching row before sorting."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    computed = recommendations.SORTS[sort].computed
    with api.db.transaction(write=False) as session:
        connection = session.connection()
        event.listen(connection, "before_cursor_execute", count)
        try:
            for query in record:
                statements.clear()
                filters = RecommendationFilter.model_validate(query)
                recommendations.list_json(session, filters, sort=sort, limit=3)
                assert len(statements) in ((1, 2) if computed else (1,)), (query, statements)
                if computed:
                    assert "recommendation_parties" not in statements[0]
                    assert "imported_rows" not in statements[0]
                    assert "assessed_on_precision" not in statements[0]
        finally:
            event.remove(connection, "before_cursor_execute", count)


def test_fields_etag_and_problems_still_hold(api: Api, record: list[dict[str, Any]]) -> None:
    picked = api.client.get("/api/v1/recommendations", params={"fields": "id,status", "limit": 2})
    assert picked.status_code == 200
    assert [set(i) for i in picked.json()["items"]] == [{"id", "status"}] * 2
    assert picked.json()["next_cursor"]
    first = api.client.get("/api/v1/recommendations", params={"status": "pending"})
    assert first.headers["cache-control"].startswith("public")
    again = api.client.get(
        "/api/v1/recommendations",
        params={"status": "pending"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    bad = api.client.get("/api/v1/recommendations", params={"sort": "nonsense"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    bad = api.client.get("/api/v1/recommendations", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"

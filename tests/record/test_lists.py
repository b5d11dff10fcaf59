"""Lists that answer "how many" and "which is biggest": one filter model per list, the same
orders in the API and the pages, totals and facet counts, countries by name, tags in any case."""

import re
from enum import StrEnum
from typing import Any

import pytest

from app import labels, vocab
from app.services.record import cases, decisions, organisations, recommendations, regulators
from app.web import forms
from tests.conftest import Api


def _record(api: Api) -> dict[str, Any]:
    ico = api.regulator("Information Commissioner's Office", jurisdiction="GB")
    cnil = api.regulator("CNIL", jurisdiction="FR")
    opc = api.regulator("OPC", jurisdiction="CA-BC")
    org = api.organisation("Acme")
    made = []
    for i, (reg, amount, currency, issued, tags) in enumerate(
        [
            (ico, "500.00", "GBP", "2021-03-01", ["GDPR"]),
            (cnil, "20000.00", "EUR", "2022-05-01", ["gdpr", "cookies"]),
            (cnil, None, None, "2022-06-01", []),
            (opc, "75.50", "CAD", "2023-01-10", ["Cookies"]),
            (ico, "1000000.00", "GBP", "2023-07-01", []),
        ]
    ):
        extra: dict[str, Any] = {"tags": tags, "kind": "fine" if amount else "order"}
        if amount:
            extra |= {"penalty_amount": amount, "penalty_currency": currency}
        made.append(api.decision(reg["id"], reference=f"D-{i}", issued_on=issued, **extra))
    recs = [
        api.recommendation(made[1]["id"], org["id"], text=f"Do {i}", due_on=f"202{i}-01-01") for i in (2, 5)
    ]
    recs.append(api.recommendation(made[2]["id"], org["id"], text="Undated"))
    api.assess(recs[0]["id"], "complied", "2022-09-01")
    api.assess(recs[2]["id"], "not_complied", "2023-02-01")
    return {"decisions": made, "recs": recs, "gb": ico, "fr": cnil}


def _ids(api: Api, path: str, **params: Any) -> list[int]:
    out: list[int] = []
    cursor = None
    while True:
        page = api.ok(api.get(path, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}))
        out += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            return out


def test_decisions_sort_by_penalty_both_ways_across_pages_without_a_penalty_last(api: Api) -> None:
    d = [x["id"] for x in _record(api)["decisions"]]
    assert _ids(api, "/api/v1/decisions", sort="-penalty_amount") == [d[4], d[1], d[0], d[3], d[2]]
    assert _ids(api, "/api/v1/decisions", sort="penalty_amount") == [d[3], d[0], d[1], d[4], d[2]]
    assert _ids(api, "/api/v1/decisions", sort="penalty_currency") == [d[3], d[1], d[0], d[4], d[2]]
    assert _ids(api, "/api/v1/decisions", sort="-penalty_currency")[:3] == [d[2], d[4], d[0]]


def test_recommendations_sort_by_due_day_status_and_last_assessed(api: Api) -> None:
    r = [x["id"] for x in _record(api)["recs"]]
    assert _ids(api, "/api/v1/recommendations", sort="due_on") == [r[0], r[1], r[2]]
    assert _ids(api, "/api/v1/recommendations", sort="-due_on") == [r[1], r[0], r[2]]
    # pending, complied, ..., not_complied: the vocabulary's order
    assert _ids(api, "/api/v1/recommendations", sort="status") == [r[1], r[0], r[2]]
    assert _ids(api, "/api/v1/recommendations", sort="-last_assessed_on") == [r[2], r[0], r[1]]
    # As of a day, the status is the one then.
    assert _ids(api, "/api/v1/recommendations", sort="status", as_of="2022-12-31") == [r[1], r[2], r[0]]


def test_an_unknown_sort_is_refused_with_the_choices(api: Api) -> None:
    response = api.get("/api/v1/decisions", params={"sort": "-nope"})
    assert response.status_code == 422
    assert "penalty_amount" in response.text


def test_jurisdiction_by_country_name_or_uk_and_tags_in_any_case(api: Api) -> None:
    d = [x["id"] for x in _record(api)["decisions"]]
    for given in ("UK", "uk", "GB", "United Kingdom"):
        assert sorted(_ids(api, "/api/v1/decisions", jurisdiction=given)) == [d[0], d[4]], given
    assert _ids(api, "/api/v1/decisions", jurisdiction="Canada") == [d[3]]
    assert _ids(api, "/api/v1/decisions", jurisdiction="ca-bc") == [d[3]]
    # A name not known here matches nothing (as an unknown code does); a non-name is refused.
    assert api.ok(api.get("/api/v1/decisions", params={"jurisdiction": "Atlantis"}))["items"] == []
    assert api.get("/api/v1/decisions", params={"jurisdiction": "12"}).status_code == 422
    assert sorted(_ids(api, "/api/v1/decisions", tag="gdpr")) == [d[0], d[1]]
    assert sorted(_ids(api, "/api/v1/decisions", tag="COOKIES")) == [d[1], d[3]]
    # The CSV export and the feed take the same filter model.
    csv = api.get("/api/v1/export/decisions.csv", params={"jurisdiction": "UK", "sort": "-penalty_amount"})
    assert csv.status_code == 200
    lines = csv.text.splitlines()
    assert len(lines) == 3 and lines[1].startswith(f'"{d[4]}",')
    feed = api.get("/feeds/decisions.atom", params={"tag": "Gdpr"})
    assert feed.status_code == 200 and feed.text.count("<entry>") == 2


def test_decisions_page_has_total_range_facets_sort_headers_and_csv_link(api: Api) -> None:
    d = [x["id"] for x in _record(api)["decisions"]]
    html = api.get("/decisions", params={"limit": 20}).text
    assert re.search(r'id="list-total"><strong>5</strong> decisions', html)
    assert '<span id="list-range">1\u20135</span> of 5' in html
    # Counts beside the options: kind and compliance; country and year as links.
    assert '<option value="fine">Fine (4)</option>' in html
    assert '<option value="order">Order (1)</option>' in html
    assert '<option value="none">No recommendations (3)</option>' in html
    assert re.search(r">United Kingdom</a> <span class=\"muted\">2</span>", html)
    assert re.search(r">2022</a> <span class=\"muted\">2</span>", html)
    # Every column with an order has a heading that sorts by it.
    for key in ("issued_on", "title", "compliance", "-penalty_amount", "penalty_currency"):
        assert f'data-sort="{key}"' in html, key
    assert 'href="/api/v1/export/decisions.csv?sort=-issued_on"' in html
    # Page two of two-a-page starts at 3; the facets ignore their own filter.
    first = api.get("/decisions", params={"limit": 2, "sort": "-penalty_amount"}).text
    cursor = re.search(r'href="[^"]*cursor=([^"&]+)[^"]*" rel="next"', first)
    assert cursor is not None
    second = api.get("/decisions", params={"limit": 2, "sort": "-penalty_amount", "cursor": cursor[1]}).text
    assert '<span id="list-range">3\u20134</span> of 5' in second
    assert 'aria-sort="descending"' in second and 'data-sort="penalty_amount"' in second
    narrowed = api.get("/decisions", params={"kind": "fine", "jurisdiction": "UK"}).text
    assert "<strong>2</strong> decisions" in narrowed
    assert '<option value="order">Order (0)</option>' in narrowed  # with jurisdiction, without kind
    assert 'export/decisions.csv?jurisdiction=GB&amp;kind=fine&amp;sort=-issued_on"' in narrowed
    assert d[0] != d[1]


def test_recommendations_page_counts_statuses_and_overdue(api: Api) -> None:
    _record(api)
    html = api.get("/recommendations").text
    assert "<strong>3</strong> recommendations" in html
    assert '<option value="pending">Pending (1)</option>' in html
    assert '<option value="complied">Complied (1)</option>' in html
    assert '<option value="true">Overdue only (1)</option>' in html
    assert '<option value="false">Not overdue (2)</option>' in html
    for key in ("status", "due_on", "-last_assessed_on"):
        assert f'data-sort="{key}"' in html, key
    assert 'href="/api/v1/export/recommendations.csv?sort=id"' in html


def test_a_bad_filter_on_a_page_reads_in_words(api: Api) -> None:
    html = api.get("/decisions", params={"compliance": "nope"})
    assert html.status_code == 422
    assert "should be “No recommendations”, “Pending”" in html.text
    assert "Input should be" not in html.text
    unknown = api.get("/decisions", params={"jurisdiction": "Atlantis"}).text
    assert 'id="jurisdiction-hint">“Atlantis” is not a country known here' in unknown
    assert 'id="jurisdiction-hint"' not in api.get("/decisions", params={"jurisdiction": "UK"}).text


@pytest.mark.parametrize(
    ("service", "orders"),
    [
        (decisions, vocab.DecisionSort),
        (recommendations, vocab.RecommendationSort),
        (organisations, vocab.OrganisationSort),
        (regulators, vocab.RegulatorSort),
        (cases, vocab.CaseSort),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_each_list_s_orders_are_its_vocabulary_and_have_words(service: Any, orders: type[StrEnum]) -> None:
    """One vocabulary of orders per list: the service orders by exactly those codes, the API
    and the page take exactly those, and each has its words in the catalogue."""
    assert list(service.SORTS) == [order.value for order in orders]
    assert all(labels.label(order) != order.value for order in orders)
    page_query = {
        decisions: forms.DecisionQuery,
        recommendations: forms.RecommendationQuery,
        organisations: forms.OrganisationQuery,
        regulators: forms.RegulatorQuery,
        cases: forms.CaseQuery,
    }[service]
    assert page_query.model_fields["sort"].annotation is orders


@pytest.mark.parametrize("path", ["organisations", "regulators", "cases"])
def test_the_filters_of_every_list_are_one_model_in_the_api_and_the_page(api: Api, path: str) -> None:
    """A bad filter value is refused alike by the API (422 naming the field) and the page."""
    field, bad, message = {
        "organisations": ("country", "!!", "must be a two-letter country code such as CA"),
        "regulators": ("kind", "!!", "should be “Regulator”, “Court”"),
        "cases": ("tag", "x" * 101, "at most 100 characters"),
    }[path]
    problem = api.get(f"/api/v1/{path}", params={field: bad})
    assert problem.status_code == 422, problem.text
    assert any(field in e["field"] for e in problem.json()["errors"])
    page = api.get(f"/{path}", params={field: bad})
    assert page.status_code == 422 and message in page.text

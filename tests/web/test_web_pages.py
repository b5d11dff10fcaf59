"""The reading pages: every page answers, shows the record, escapes what users typed,
carries the security headers, and answers errors as HTML."""

import re
from typing import Any

import pytest

from app import labels
from app.services import demo
from tests.conftest import Api

PAGES = [
    "/",
    "/decisions",
    "/decisions/{decision}",
    "/recommendations",
    "/recommendations/{recommendation}",
    "/organisations",
    "/organisations/{organisation}",
    "/regulators",
    "/regulators/{regulator}",
    "/cases",
    "/cases/{case}",
    "/signin",
]


def load_demo(api: Api) -> dict[str, int]:
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    decision = api.ok(api.get("/api/v1/decisions", params={"q": "PIPEDA Findings #2021-001"}))["items"][0]
    rec = api.ok(api.get("/api/v1/recommendations", params={"decision_id": decision["id"]}))["items"][0]
    history = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))
    return {
        "assessment": history[0]["id"],
        "decision": decision["id"],
        "recommendation": rec["id"],
        "organisation": decision["organisations"][0]["organisation_id"],
        "regulator": decision["regulators"][0]["regulator_id"],
        "case": decision["case_id"],
    }


@pytest.mark.parametrize("template", PAGES)
def test_every_page_answers_html_with_security_headers(api: Api, template: str) -> None:
    ids = load_demo(api)
    path = template.format(**ids)
    for params in ({}, {"as_of": "2023-01-01"}):
        response = api.get(path, params=params)
        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]
        assert "strict-transport-security" not in response.headers  # plain http here
        html = response.text
        assert '<a class="skip" href="#main">' in html
        assert "<script>" not in html  # no inline script anywhere
        assert re.search(r"<h1[^>]*>", html)
        if "{" in template and template != "/signin":
            collection = path.split("/")[1]
            assert f'href="/api/v1/{collection}/' in html  # the same record as JSON


def test_docs_keep_working_with_their_own_policy(api: Api) -> None:
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert "unsafe-inline" in docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert "unsafe-inline" not in api.get("/api/v1/decisions").headers["content-security-policy"]
    assert api.get("/api/v1/decisions").headers["x-content-type-options"] == "nosniff"


def test_static_assets_are_served_by_the_app(api: Api) -> None:
    css = api.get("/static/site.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    js = api.get("/static/site.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"] and js.text.strip()
    html = api.get("/").text
    assert "http://" not in re.sub(r'href="https?://[^"]*"', "", html.split("<main")[0])


def test_dashboard_chart_and_lists(api: Api) -> None:
    ids = load_demo(api)
    html = api.get("/").text
    stats = api.ok(api.get("/api/v1/stats"))
    assert "<svg" in html and 'role="img"' in html
    for status, n in stats["recommendations_by_status"].items():
        assert f'class="label">{labels.label(status)}</text>' in html
        assert f'class="value">{n} (' in html
    assert "Overdue recommendations" in html and "Latest decisions" in html and "Latest assessments" in html
    assert f'href="/decisions/{ids["decision"]}"' in html
    # As of a day before every decision, the record is empty.
    early = api.get("/", params={"as_of": "2000-01-01"}).text
    assert "<strong>0</strong> decisions" in early


def test_decision_page_shows_the_whole_decision(api: Api) -> None:
    ids = load_demo(api)
    html = api.get(f"/decisions/{ids['decision']}").text
    assert (
        'id="decision-compliance"><span class="badge b-partially_complied" data-status="partially_complied" '
        'title="Some recommendations were complied with, some not.">Partially complied</span>' in html
    )
    assert "partially_complied<" not in html and ">respondent<" not in html
    assert html.count('class="rec"') == 3
    for word in ("Lead", "Joint", "Respondent", "Client", "Findings", "Provisions cited", "Sources"):
        assert word in html
    assert html.count("<details") == 3 and 'class="timeline"' in html
    assert "Claimed by" in html
    # As of its issue day, the page reads what the API reads for that day.
    then = api.get(f"/decisions/{ids['decision']}", params={"as_of": "2021-02-03"}).text
    api_then = api.ok(api.get(f"/api/v1/decisions/{ids['decision']}", params={"as_of": "2021-02-03"}))
    assert f'id="decision-compliance"><span class="badge b-{api_then["compliance"]}"' in then
    assert "The record as it stood on <strong>2021-02-03</strong>" in then
    # Before it was issued it was not yet part of the record.
    before = api.get(f"/decisions/{ids['decision']}", params={"as_of": "2020-01-01"})
    assert before.status_code == 404 and before.headers["content-type"].startswith("text/html")


def test_appeal_chain_both_ways_with_standing(api: Api) -> None:
    load_demo(api)
    ico = api.ok(api.get("/api/v1/decisions", params={"q": "ICO MPN"}))["items"][0]
    html = api.get(f"/decisions/{ico['id']}").text
    assert 'id="decision-standing"><span class="badge b-remitted"' in html
    assert 'class="timeline chain"' in html and "Overturns" in html and "Remits" in html
    later = ico["related_by"][0]["decision_id"]
    assert f'href="/decisions/{ico["id"]}"' in api.get(f"/decisions/{later}").text
    assert "b-in_force" in api.get(f"/decisions/{ico['id']}", params={"as_of": "2022-06-01"}).text


def test_record_pages_show_record_timeline_and_penalties(api: Api) -> None:
    ids = load_demo(api)
    org = api.get(f"/organisations/{ids['organisation']}").text
    record = api.ok(api.get(f"/api/v1/organisations/{ids['organisation']}"))
    assert f"Decisions ({record['decision_count']})" in org
    for currency in record["penalties"]:
        assert currency in org
    assert f'data-status="{record["compliance"]}"' in org
    case = api.get(f"/cases/{ids['case']}").text
    case_record = api.ok(api.get(f"/api/v1/cases/{ids['case']}"))
    assert "Jurisdictions side by side" in case
    headings = re.findall(r"<h3 [^>]*>([^<]+)</h3>", case)
    for jurisdiction in case_record["jurisdictions"]:
        assert any(jurisdiction in h.split(", ") for h in headings), jurisdiction
    # Reading as of a day, the links keep that day.
    then = api.get(f"/organisations/{ids['organisation']}", params={"as_of": "2022-01-01"}).text
    assert f'href="/decisions/{ids["decision"]}?as_of=2022-01-01"' in then
    assert "?as_of=2023" not in then
    reg = api.get(f"/regulators/{ids['regulator']}").text
    assert "Its recommendations" in reg and 'class="timeline"' in reg


def test_lists_filter_sort_and_page_by_the_address(api: Api) -> None:
    load_demo(api)
    canada = api.get("/decisions", params={"jurisdiction": "ca"}).text
    assert "PIPEDA Findings #2021-001" in canada and "ICO" not in canada.split("<tbody>")[1]
    everything = api.ok(api.get("/api/v1/decisions", params={"sort": "issued_on", "limit": 500}))["items"]
    first = api.get("/decisions", params={"sort": "issued_on", "limit": 3}).text
    assert everything[0]["reference"] in first and everything[3]["reference"] not in first
    nxt = re.search(r'href="([^"]*cursor=[^"]+)" rel="next"', first)
    assert nxt
    second = api.get(nxt.group(1).replace("&amp;", "&")).text
    assert everything[3]["reference"] in second and "sort" in nxt.group(1)
    # The page before the second is the first: its link has no cursor.
    back = re.search(r'href="([^"]*)" rel="prev"', second)
    assert back and "cursor=" not in back.group(1) and "sort=issued_on" in back.group(1)
    # Blank fields (as a form sends them) mean "any".
    blank = api.get("/decisions", params={"kind": "", "q": "", "compliance": "", "limit": 500})
    assert row_ids(blank, "decisions") == [d["id"] for d in everything[::-1]]
    overdue = api.get("/recommendations", params={"overdue": "true", "limit": 500})
    expected = api.ok(api.get("/api/v1/recommendations", params={"overdue": "true", "limit": 500}))["items"]
    assert expected and row_ids(overdue, "recommendations") == [r["id"] for r in expected]
    searches = {"/organisations": "Clearview", "/regulators": "a", "/cases": "a", "/recommendations": "a"}
    for path, q in searches.items():
        for params in ({"sort": "-id", "limit": 500}, {"sort": "-id", "q": q, "limit": 500}):
            listed = [i["id"] for i in api.ok(api.get(f"/api/v1{path}", params=params))["items"]]
            page = api.get(path, params=params)
            assert listed or "q" in params, (path, "the demo has some")
            if listed:
                assert row_ids(page, path[1:]) == listed, (path, params)
            else:
                assert page.status_code == 200 and "Nothing matches." in page.text, (path, params)


def row_ids(response: Any, collection: str) -> list[int]:
    """The ids of the records a list page shows, in its order (each row links to its record)."""
    assert response.status_code == 200, response.text[:500]
    body = response.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return list(dict.fromkeys(int(i) for i in re.findall(rf'href="/{collection}/(\d+)', body)))


def test_bad_filters_are_shown_beside_their_fields(api: Api) -> None:
    response = api.get("/decisions", params={"kind": "nonsense", "issued_from": "soon"})
    assert response.status_code == 422
    assert 'id="f-kind-error"' in response.text and 'id="f-issued_from-error"' in response.text
    bad_cursor = api.get("/decisions", params={"cursor": "!!!"})
    assert bad_cursor.status_code == 422 and "cursor" in bad_cursor.text
    bad_as_of = api.get("/", params={"as_of": "31/12/2020"})
    assert bad_as_of.status_code == 422 and 'id="f-as_of-error"' in bad_as_of.text


def test_errors_are_html_for_pages_and_problems_for_the_api(api: Api) -> None:
    page = api.get("/decisions/424242")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no decision with id 424242" in page.text
    assert api.get("/no/such/page").headers["content-type"].startswith("text/html")
    bad_id = api.get("/decisions/abc")
    assert bad_id.status_code == 404 and bad_id.headers["content-type"].startswith("text/html")
    problem = api.get("/api/v1/decisions/424242")
    assert problem.headers["content-type"].startswith("application/problem+json")


def test_what_users_type_comes_back_escaped(api: Api) -> None:
    evil = "<script>alert(1)</script>"
    reg = api.regulator(f"Reg {evil}", short_name=f"R{evil}"[:100])
    org = api.organisation(f"Org {evil}", aliases=[f"Alias {evil}"])
    case = api.ok(
        api.post("/api/v1/cases", {"title": f"Case {evil}", "summary": f"Sum {evil}", "tags": [f"t{evil}"]}),
        201,
    )
    decision = api.decision(
        reg["id"],
        reference=f"Ref {evil}",
        title=f"Title {evil}",
        summary=f"Summary {evil}",
        case_id=case["id"],
        organisations=[{"organisation_id": org["id"], "role": "respondent"}],
        provisions=[f"Prov {evil}"],
        tags=[f"tag{evil}"],
        sources=[
            {"url": "https://example.org/a?b=<script>", "title": f"Src {evil}", "publisher": f"P {evil}"}
        ],
        findings=[{"text": f"Finding {evil}", "provision": f"FP {evil}", "organisation_id": org["id"]}],
    )
    rec = api.recommendation(decision["id"], org["id"], f"Rec {evil}")
    api.assess(
        rec["id"],
        "complied",
        "2022-01-01",
        note=f"Note {evil}",
        source_url="https://example.org/<script>",
        source_title=f"ST {evil}",
        source_quote=f"Quote {evil}",
    )
    paths = [
        "/",
        "/decisions",
        f"/decisions/{decision['id']}",
        "/recommendations",
        f"/recommendations/{rec['id']}",
        "/organisations",
        f"/organisations/{org['id']}",
        "/regulators",
        f"/regulators/{reg['id']}",
        "/cases",
        f"/cases/{case['id']}",
        f"/decisions?q={evil}",
    ]
    for path in paths:
        html = api.get(path).text
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;" in html, path
    page = api.get(f"/decisions/{decision['id']}").text
    for text in (
        "Title",
        "Ref",
        "Summary",
        "Prov",
        "Src",
        "P",
        "Finding",
        "FP",
        "Rec",
        "Note",
        "ST",
        "Quote",
    ):
        assert f"{text} &lt;script&gt;alert(1)&lt;/script&gt;" in page, text


@pytest.mark.parametrize(
    "path", ["/", "/decisions", "/recommendations", "/organisations", "/regulators", "/cases"]
)
def test_pages_of_an_empty_record(api: Api, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 200
    if path == "/":
        assert "<strong>0</strong> decisions" in response.text
        assert "<strong>0</strong> recommendations" in response.text
    else:
        assert "Nothing matches." in response.text and "<tbody>" not in response.text


def test_a_wrong_method_is_an_html_error(api: Api) -> None:
    response = api.client.put("/decisions")
    assert response.status_code == 405 and response.headers["content-type"].startswith("text/html")
    assert "Method not allowed" in response.text


def test_no_attribute_is_escaped_twice(api: Api) -> None:
    """Attributes written by the templates themselves come out as attributes, not as text."""
    html = api.get("/recommendations").text
    assert 'min="1"' in html and "&#34;" not in html


def test_compliance_labels_carry_their_counts_and_none_is_no_badge(api: Api) -> None:
    """A label never stands alone (decision, case, organisation, regulator; pages and lists),
    and a decision without recommendations reads "no recommendations", not a `none` badge."""
    ids = load_demo(api)
    decision = api.get(f"/decisions/{ids['decision']}").text
    assert (
        'id="decision-compliance"><span class="badge b-partially_complied" data-status="partially_complied" '
        'title="Some recommendations were complied with, some not.">Partially complied</span> '
        '<span class="compliance-counts">1 of 3 complied, 2 not complied; 33.3% complied</span>' in decision
    )
    case = api.get(f"/cases/{ids['case']}").text
    case_record = api.ok(api.get(f"/api/v1/cases/{ids['case']}"))
    complied = case_record["recommendation_counts"].get("complied", 0)
    total = sum(n for s, n in case_record["recommendation_counts"].items() if s != "withdrawn")
    assert f"{complied} of {total} complied" in case
    ico = api.ok(api.get("/api/v1/decisions", params={"q": "ICO MPN"}))["items"][0]
    regulator = ico["regulators"][0]["regulator_id"]
    reg_page = api.get(f"/regulators/{regulator}").text
    assert "0 of 2 complied, 2 disputed; 0% complied" in reg_page
    # A decision with no recommendations: no badge, the words instead.
    bare = api.decision(regulator, reference="BARE-1", issued_on="2024-05-06")
    page = api.get(f"/decisions/{bare['id']}").text
    assert 'id="decision-compliance"><span class="muted compliance-counts">no recommendations</span>' in page
    assert 'data-status="none"' not in page
    # Lists: none of them paints `none` as a status; the labels there carry counts too.
    for path in ("/organisations", "/regulators", "/decisions", "/cases"):
        html = api.get(path, params={"limit": 500}).text
        assert 'data-status="none"' not in html, path
        assert "complied</span>" in html, path

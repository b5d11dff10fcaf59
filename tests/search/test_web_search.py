"""The search box in every page's header, its results page, and the feed links of the pages."""

import xml.etree.ElementTree as ET

from app.models import Organisation
from app.services import demo
from app.vocab import OrganisationKind
from tests.conftest import Api


def load_demo(api: Api) -> None:
    with api.db.transaction(actor="test") as session:
        demo.load(session)


def test_every_page_has_the_search_box(api: Api) -> None:
    html = api.get("/decisions").text
    assert 'role="search"' in html and 'name="q"' in html and 'action="/search"' in html


def test_search_page_finds_the_organisation_and_the_decisions(api: Api) -> None:
    load_demo(api)
    page = api.get("/search", params={"q": "Clearview"})
    assert page.status_code == 200
    html = page.text
    assert "Clearview AI, Inc." in html
    assert "<mark>" in html  # the matched words are highlighted
    org = api.ok(api.get("/api/v1/organisations", params={"q": "Clearview"}))["items"][0]
    assert f'href="/organisations/{org["id"]}"' in html
    assert "/decisions/" in html
    regulators = api.get("/search", params={"q": "commissioner", "type": "regulator"}).text
    assert "Office of the Privacy Commissioner of Canada" in regulators
    assert "/decisions/" not in regulators.split("<ol", 1)[-1]


def test_search_page_pages_and_refuses_bad_input(api: Api) -> None:
    load_demo(api)
    # A page of the results starts where the cursor (the same as the API's) leaves off.
    api_page = api.ok(api.get("/api/v1/search", params={"q": "Clearview", "limit": 1}))
    [top] = api_page["items"]
    rest = api.get("/search", params={"q": "Clearview", "cursor": api_page["next_cursor"]})
    assert rest.status_code == 200
    assert f">{top['title']}</a>" not in rest.text
    assert f">{top['title']}</a>" in api.get("/search", params={"q": "Clearview"}).text
    assert api.get("/search", params={"q": "x" * 501}).status_code == 422
    assert api.get("/search", params={"q": "Clearview", "type": "planet"}).status_code == 422
    bad = api.get("/search", params={"q": "Clearview", "cursor": "garbage"})
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
    for hostile in ('"', "NEAR(", "*", "-", "a OR", "<script>alert(1)</script>", "\\'; DROP TABLE x"):
        response = api.get("/search", params={"q": hostile})
        assert response.status_code == 200, hostile
        assert "<script>alert(1)</script>" not in response.text
    assert api.get("/search").status_code == 200  # an empty form


def test_pages_link_the_feeds_that_follow_them(api: Api) -> None:
    load_demo(api)
    org = api.ok(api.get("/api/v1/organisations", params={"q": "Clearview"}))["items"][0]
    html = api.get(f"/organisations/{org['id']}").text
    assert f'href="/feeds/decisions.atom?organisation_id={org["id"]}"' in html
    assert f'href="/feeds/assessments.atom?organisation_id={org["id"]}"' in html
    assert 'rel="alternate" type="application/atom+xml"' in html
    listed = api.get("/decisions", params={"kind": "fine", "sort": "reference"}).text
    assert 'href="/feeds/decisions.atom?kind=fine"' in listed
    # The linked feed is valid Atom and follows the same filter.
    feed = api.get("/feeds/decisions.atom", params={"kind": "fine"})
    root = ET.fromstring(feed.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    fines = api.ok(api.get("/api/v1/decisions", params={"kind": "fine"}))["items"]
    assert sorted(titles) == sorted(f"{d['reference']}: {d['title']}" for d in fines) and len(titles) == 4


def test_record_pages_link_their_feeds(api: Api) -> None:
    load_demo(api)
    regulators = api.ok(api.get("/api/v1/regulators", params={"q": "OPC"}))["items"]
    reg = regulators[0]["id"]
    assert f'href="/feeds/decisions.atom?regulator_id={reg}"' in api.get(f"/regulators/{reg}").text
    case = api.ok(api.get("/api/v1/cases"))["items"][0]["id"]
    assert f'href="/feeds/decisions.atom?case_id={case}"' in api.get(f"/cases/{case}").text
    decision = api.ok(api.get("/api/v1/decisions", params={"limit": 1}))["items"][0]["id"]
    assert f'href="/feeds/assessments.atom?decision_id={decision}"' in api.get(f"/decisions/{decision}").text
    rec = api.ok(api.get("/api/v1/recommendations", params={"limit": 1}))["items"][0]["id"]
    page = api.get(f"/recommendations/{rec}").text
    assert f'href="/feeds/assessments.atom?recommendation_id={rec}"' in page
    assert 'href="/feeds/decisions.atom"' in api.get("/").text


def test_search_counts_its_hits_and_dates_them(api: Api) -> None:
    load_demo(api)
    found = api.ok(api.get("/api/v1/search", params={"q": "Clearview", "limit": 200}))
    assert found["total_is_lower_bound"] is False and found["total"] == len(found["items"]) > 1
    decisions = [h for h in found["items"] if h["type"] == "decision"]
    assert decisions and all(h["issued_on"] and h["issued_on_precision"] for h in decisions)
    # A recommendation's or finding's hit carries its decision's day; a party's none.
    for hit in found["items"]:
        if hit["type"] in ("recommendation", "finding"):
            decision = api.ok(api.get(f"/api/v1/decisions/{hit['decision_id']}"))
            assert hit["issued_on"] == decision["issued_on"]
        if hit["type"] in ("organisation", "regulator", "case"):
            assert hit["issued_on"] is None
    # Narrowed to a kind, the count is the kind's.
    orgs = api.ok(api.get("/api/v1/search", params={"q": "Clearview", "type": "organisation"}))
    assert orgs["total"] == len(orgs["items"]) == 1
    page = " ".join(api.get("/search", params={"q": "Clearview"}).text.split())
    assert f"<strong>{found['total']}</strong> records found" in page
    first = decisions[0]
    assert f'<time datetime="{first["issued_on"]}">{first["issued_on"]}</time>' in page


def test_a_common_word_is_counted_as_more_than_the_ranked(api: Api) -> None:
    with api.db.transaction(actor="test") as session:
        session.add_all(Organisation(name=f"Acme {i}", kind=OrganisationKind.company) for i in range(205))
    found = api.ok(api.get("/api/v1/search", params={"q": "acme", "limit": 5}))
    assert found["total_is_lower_bound"] is True and found["total"] == 200
    assert "More than <strong>200</strong> records found" in api.get("/search", params={"q": "acme"}).text

"""Atom feeds: valid Atom 1.0 with the required elements, filters, escaping."""

import xml.etree.ElementTree as ET

import pytest

from app.schemas.filters import DecisionFilter
from app.services.reporting import feeds
from tests.conftest import Api
from tests.record.test_demo import clearview_id, load_demo
from tests.reporting.test_csv_export import assert_each_part_read_once, many_decisions, statements

NS = {"a": "http://www.w3.org/2005/Atom"}


def feed(api: Api, url: str, **params: str) -> ET.Element:
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for tag in ("id", "title", "updated", "author/a:name"):
        assert (root.findtext(f"a:{tag}", namespaces=NS) or "").strip(), tag
    [self_link] = root.findall("a:link[@rel='self']", NS)
    assert self_link.get("href", "").endswith(
        url + ("?" if params else "") + "&".join(f"{k}={v}" for k, v in params.items())
    )
    ids = []
    for entry in root.findall("a:entry", NS):
        for tag in ("id", "title", "updated", "summary"):
            assert (entry.findtext(f"a:{tag}", namespaces=NS) or "").strip(), tag
        assert entry.find("a:link[@rel='alternate']", NS).get("href", "").startswith("http")
        ids.append(entry.findtext("a:id", namespaces=NS))
    assert len(ids) == len(set(ids))
    return root


def titles(root: ET.Element) -> list[str]:
    return [e.findtext("a:title", namespaces=NS) or "" for e in root.findall("a:entry", NS)]


def test_decisions_feed_newest_first_with_filters(api: Api) -> None:
    load_demo(api)
    root = feed(api, "/feeds/decisions.atom")
    assert len(titles(root)) == 8
    assert titles(root)[0].startswith("Information Commissioner v Clearview AI Inc (UT 2025)")
    published = [e.findtext("a:published", namespaces=NS) for e in root.findall("a:entry", NS)]
    assert published == sorted(published, reverse=True)
    org = clearview_id(api)
    canada = feed(api, "/feeds/decisions.atom", organisation_id=str(org), jurisdiction="CA")
    [title] = titles(canada)
    assert title.startswith("PIPEDA Findings #2021-001: ")
    assert "Compliance: partially complied (" in (canada.find("a:entry/a:summary", NS).text or "")
    assert titles(feed(api, "/feeds/decisions.atom", kind="judgment", limit="1"))[0].startswith("Information")
    assert titles(feed(api, "/feeds/decisions.atom", as_of="2020-01-01")) == []


def test_assessments_feed_with_filters(api: Api) -> None:
    load_demo(api)
    root = feed(api, "/feeds/assessments.atom")
    assert len(titles(root)) == 10
    org = clearview_id(api)
    canada = api.ok(api.get("/api/v1/decisions", params={"jurisdiction": "CA"}))["items"][0]
    only = feed(api, "/feeds/assessments.atom", decision_id=str(canada["id"]))
    assert sorted(t.split(":")[0] for t in titles(only)) == ["Complied", "Not complied", "Not complied"]
    assert len(titles(feed(api, "/feeds/assessments.atom", organisation_id=str(org)))) == 10
    assert len(titles(feed(api, "/feeds/assessments.atom", status="withdrawn"))) == 2


def test_text_is_escaped(api: Api) -> None:
    reg = api.regulator("<b>Board</b> & Co", "FR")
    org = api.organisation("Evil ]]> <script>alert(1)</script>")
    d = api.decision(
        reg["id"],
        reference="R&D <1>",
        summary="Quotes \" ' and \x0b a vertical tab",
        organisations=[{"organisation_id": org["id"], "role": "respondent"}],
    )
    rec = api.recommendation(d["id"], org["id"], "Stop <it> & go")
    api.assess(rec["id"], "complied", "2021-02-03", note="Done & dusted <ok>")
    root = feed(api, "/feeds/decisions.atom")
    assert titles(root) == ["R&D <1>: Decision R&D <1>"]
    assert "Evil ]]> <script>" in (root.find("a:entry/a:summary", NS).text or "")
    assert titles(feed(api, "/feeds/assessments.atom")) == ["Complied: Stop <it> & go"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/feeds/decisions.atom", {"limit": "0"}),
        ("/feeds/decisions.atom", {"as_of": "soon"}),
        ("/feeds/assessments.atom", {"status": "done"}),
        ("/feeds/assessments.atom", {"organisation_id": "x"}),
    ],
)
def test_bad_parameters_are_problems(api: Api, url: str, params: dict[str, str]) -> None:
    response = api.get(url, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_decisions_feed_reads_each_part_once(api: Api) -> None:
    many_decisions(api, 5)
    with api.db.session() as session, statements(api.db.engine) as seen:
        entries = feeds.decision_entries(session, base="http://test", limit=50, filters=DecisionFilter())
    assert len(entries) == 5
    assert_each_part_read_once(seen)


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
READERS = ["application/atom+xml", "application/atom+xml, application/xml;q=0.9, */*;q=0.1", "*/*", ""]


def test_a_browser_opening_a_feed_gets_a_page_and_a_feed_reader_the_feed(api: Api) -> None:
    load_demo(api)
    org = clearview_id(api)
    url = f"/feeds/decisions.atom?organisation_id={org}"
    page = api.get(url, headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    text = " ".join(page.text.split())
    assert "This address is a feed: paste it into a feed reader" in text
    assert f'value="http://testserver{url}"' in page.text
    atom = feed(api, "/feeds/decisions.atom", organisation_id=str(org))
    # The page lists the feed's entries, newest first, linking to the same pages.
    first = atom.find("a:entry", NS)
    assert first is not None
    assert first.findtext("a:title", namespaces=NS) in page.text
    for accept in READERS:
        answer = api.get(url, headers={"Accept": accept} if accept else {})
        assert answer.headers["content-type"].startswith("application/atom+xml"), accept
        assert "Accept" in answer.headers["vary"]
    # Each representation has its own validator: a browser's ETag never gets a feed reader a 304.
    etag = page.headers["etag"]
    assert api.get(url, headers={"Accept": "application/atom+xml"}).headers["etag"] != etag
    again = api.get(url, headers={"Accept": BROWSER, "If-None-Match": etag})
    assert again.status_code == 304
    assert api.get(url, headers={"Accept": "*/*", "If-None-Match": etag}).status_code == 200

"""The lists of organisations, regulators and cases answer like the decisions list (issue 28,
lists that answer): their total and the page's position, facets with counts, sortable headings,
and a CSV link with the same filters and order, whose rows carry each party's figures (decisions,
recommendations by status, complied share, penalties by kind and currency, as of the day)."""

import re
from typing import Any

from tests.conftest import Api
from tests.record.test_organisation_sorts import _record
from tests.reporting.test_csv_export import read_csv


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_organisations_list_answers_how_many_and_which_biggest(api: Api) -> None:
    _record(api)
    api.organisation("Epsilon", country="FR")
    api.organisation("Zeta", country="FR", kind="public_body")
    page = api.get("/organisations", params={"limit": 2, "sort": "-decisions"})
    assert page.status_code == 200
    text = _text(page.text)
    assert "6 organisations · Showing 1\u20132 of 6" in text
    assert "France 2" in text  # the country facet, in words, with its count
    assert 'aria-sort="descending"' in page.text and "Decisions" in text
    # The CSV link carries the filters and the order.
    link = re.search(r'href="([^"]+)" id="download-csv"', page.text)
    assert (
        link and "/api/v1/export/organisations.csv?" in link.group(1) and "sort=-decisions" in link.group(1)
    )
    # The second page knows where it is.
    cursor = api.ok(api.get("/api/v1/organisations", params={"limit": 2, "sort": "-decisions"}))[
        "next_cursor"
    ]
    second = _text(
        api.get("/organisations", params={"limit": 2, "sort": "-decisions", "cursor": cursor}).text
    )
    assert "Showing 3\u20134 of 6" in second
    # A filter narrows the total and the other facets.
    fr = _text(api.get("/organisations", params={"country": "FR"}).text)
    assert "2 organisations" in fr


def test_the_organisations_csv_carries_each_record_s_figures(api: Api) -> None:
    _record(api)
    rows = read_csv(api, "/api/v1/export/organisations.csv", sort="-penalties", penalty_currency="EUR")
    assert [r["name"] for r in rows] == ["Beta", "Alpha"]
    beta = rows[0]
    assert beta["decisions"] == "2" and beta["penalties_EUR"] == "50001000.00"
    assert beta["recommendations"] == "2" and beta["recommendations_complied"] == "1"
    assert beta["complied_share"] == "0.5" and beta["compliance"] == "partially_complied"
    # One column per kind of total and per currency the record holds, empty where none.
    assert beta["penalties_GBP"] == "" and "penalties_in_force_EUR" in beta
    assert "penalties_contested_GBP" in beta
    # As of a day, the figures as they stood.
    then = read_csv(
        api, "/api/v1/export/organisations.csv", sort="-penalties", penalty_currency="EUR", as_of="2021-12-31"
    )
    assert [(r["name"], r["penalties_EUR"]) for r in then] == [("Alpha", "20000000.00")]
    # A bad order is a problem+json 422, not a broken download.
    bad = api.get("/api/v1/export/organisations.csv", params={"sort": "-penalties"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_the_regulators_and_cases_lists_answer_too(api: Api) -> None:
    _record(api)
    api.regulator("Commission d'accès à l'information", "CA-QC")
    page = _text(api.get("/regulators").text)
    assert "3 regulators · Showing 1\u20133 of 3" in page
    assert "United Kingdom 1" in page and "Canada 1" in page
    rows = read_csv(api, "/api/v1/export/regulators.csv", jurisdiction="FR")
    assert [(r["name"], r["decisions"], r["penalties_EUR"]) for r in rows] == [("CNIL", "4", "70001000.00")]

    case: dict[str, Any] = api.ok(
        api.post("/api/v1/cases", {"title": "Clearview", "tags": ["faces", "AI"]}), 201
    )
    api.ok(api.post("/api/v1/cases", {"title": "Scraping", "tags": ["faces"]}), 201)
    cases = _text(api.get("/cases").text)
    assert "2 cases · Showing 1\u20132 of 2" in cases and "faces 2" in cases and "ai 1" in cases
    [row] = read_csv(api, "/api/v1/export/cases.csv", tag="ai")
    assert (row["id"], row["title"], row["tags"], row["decisions"]) == (
        str(case["id"]),
        "Clearview",
        "AI; faces",
        "0",
    )


PREVIOUS = re.compile(r'<a href="([^"]*)" rel="prev">')
NEXT = re.compile(r'<a href="([^"]*)" rel="next">')


def _walk(api: Api, path: str, **params: str) -> None:
    """Forward to the last page, then back by "Previous page" to the first: each page back is the
    page it was going forward (same rows, same position), and the first page has no previous."""
    forward: list[str] = []
    html = api.get(path, params=params).text
    assert 'rel="prev"' not in html
    while True:
        forward.append(_rows(html))
        found = NEXT.search(html)
        if not found:
            break
        html = api.get(found.group(1).replace("&amp;", "&")).text
    assert len(forward) >= 3, path
    back = [forward[-1]]
    while found := PREVIOUS.search(html):
        html = api.get(found.group(1).replace("&amp;", "&")).text
        back.append(_rows(html))
    # Back on the first page, which has none before it.
    assert back[::-1] == forward, path


def _rows(html: str) -> str:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    position = re.search(r'id="list-range">([^<]+)<', html)
    return (position.group(1) if position else "") + _text(body)


def test_every_list_pages_back_as_it_pages_forward(api: Api) -> None:
    _record(api)
    for i in range(4):
        api.organisation(f"Extra {i}")
    _walk(api, "/organisations", limit="2")
    _walk(api, "/organisations", limit="2", sort="-complied_share")
    _walk(api, "/organisations", limit="2", sort="-decisions")
    _walk(api, "/decisions", limit="2")
    _walk(api, "/decisions", limit="2", sort="-penalty_amount")
    _walk(api, "/recommendations", limit="1", sort="status")

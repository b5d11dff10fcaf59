"""Dates as precise as their source (issue 25): a decision's `issued_on` and an assessment's
`assessed_on` carry a precision (`day`, `month`, `year`), sent as much of the date as is known
(`"2013"`, `"2013-02"`), kept and read as its first day, shown on pages as "2013" or
"February 2013", and counted from that first day in `as_of` reads. A precision the value
cannot carry is a 422 naming the date, and nothing is written."""

import csv
import io

from app.vocab import Role
from tests.conftest import Api


def _page(api: Api, url: str) -> str:
    response = api.get(url)
    assert response.status_code == 200, response.text
    return " ".join(response.text.split())


def test_a_partial_date_is_sent_kept_as_its_first_day_and_read_with_its_precision(api: Api) -> None:
    reg = api.regulator("UN Human Rights Council — Universal Periodic Review", "UN")
    org = api.organisation("Chile", kind="public_body")
    year = api.decision(reg["id"], reference="UPR 2013 Chile", issued_on="2013")
    assert (year["issued_on"], year["issued_on_precision"]) == ("2013-01-01", "year")
    month = api.decision(reg["id"], reference="M-1", issued_on="2021-02")
    assert (month["issued_on"], month["issued_on_precision"]) == ("2021-02-01", "month")
    day = api.decision(reg["id"], reference="D-1", issued_on="2021-02-03")
    assert (day["issued_on"], day["issued_on_precision"]) == ("2021-02-03", "day")
    # The form the API reads back is accepted as sent: the first day with its precision.
    again = api.decision(reg["id"], reference="Y-2", issued_on="2014-01-01", issued_on_precision="year")
    assert (again["issued_on"], again["issued_on_precision"]) == ("2014-01-01", "year")

    rec = api.recommendation(year["id"], org["id"], "Ratify CPED")
    assessed = api.assess(rec["id"], "pending", "2013", asserted_by="organisation")
    assert (assessed["assessed_on"], assessed["assessed_on_precision"]) == ("2013-01-01", "year")
    listed = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))
    assert [a["assessed_on_precision"] for a in listed] == ["year"]

    # The stored read and the computed one (as of a day) agree.
    stored = api.ok(api.get(f"/api/v1/decisions/{year['id']}"))
    computed = api.ok(api.get(f"/api/v1/decisions/{year['id']}", params={"as_of": "2030-01-01"}))
    assert stored["issued_on_precision"] == computed["issued_on_precision"] == "year"
    listing = api.ok(api.get("/api/v1/decisions", params={"limit": 10}))["items"]
    assert {d["reference"]: d["issued_on_precision"] for d in listing}["M-1"] == "month"

    page = _page(api, f"/decisions/{year['id']}")
    assert '<dt>Issued</dt><dd><time datetime="2013">2013</time></dd>' in page
    assert '<time datetime="2021-02">February 2021</time>' in _page(api, f"/decisions/{month['id']}")
    assert '<time datetime="2021-02-03">2021-02-03</time>' in _page(api, f"/decisions/{day['id']}")
    assert '<time datetime="2013">2013</time>' in _page(api, f"/recommendations/{rec['id']}")
    assert "February 2021" in _page(api, "/decisions")

    text = api.get("/api/v1/export/decisions.csv").text.removeprefix("\ufeff")
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (rows["UPR 2013 Chile"]["issued_on"], rows["UPR 2013 Chile"]["issued_on_precision"]) == (
        "2013-01-01",
        "year",
    )
    assert rows["D-1"]["issued_on_precision"] == "day"


def test_a_partial_date_counts_from_its_first_day_as_of(api: Api) -> None:
    reg = api.regulator()
    decision = api.decision(reg["id"], reference="UPR 2013 Chile", issued_on="2013")
    url = f"/api/v1/decisions/{decision['id']}"
    assert api.get(url, params={"as_of": "2013-01-01"}).status_code == 200
    assert api.get(url, params={"as_of": "2012-12-31"}).status_code == 404


def test_a_precision_the_value_cannot_carry_is_refused_naming_the_date(api: Api) -> None:
    reg = api.regulator()
    body = {
        "reference": "X-1",
        "title": "X",
        "kind": "order",
        "regulators": [{"regulator_id": reg["id"], "role": "lead"}],
    }
    cases = [
        ({"issued_on": "2013", "issued_on_precision": "day"}, "gives only a year"),
        ({"issued_on": "2013-02", "issued_on_precision": "day"}, "gives only a month"),
        ({"issued_on": "2013", "issued_on_precision": "month"}, "gives only a year"),
        ({"issued_on": "2013-02", "issued_on_precision": "year"}, "sent as YYYY"),
        ({"issued_on": "2013-05-17", "issued_on_precision": "year"}, "not the first day of its year"),
        ({"issued_on": "2013-05-17", "issued_on_precision": "month"}, "not the first day of its month"),
    ]
    for sent, why in cases:
        response = api.post("/api/v1/decisions", body | sent)
        assert response.status_code == 422, (sent, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        [error] = response.json()["errors"]
        assert error["field"] == "issued_on" and why in error["message"], (sent, error)
    assert api.ok(api.get("/api/v1/decisions"))["items"] == []

    decision = api.decision(reg["id"], reference="D-1", issued_on="2021-02-03")
    org = api.organisation()
    rec = api.recommendation(decision["id"], org["id"])
    refused = api.post(
        f"/api/v1/recommendations/{rec['id']}/assessments",
        {"status": "complied", "assessed_on": "2021", "assessed_on_precision": "day", "asserted_by": "press"},
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "assessed_on"
    assert api.ok(api.get(f"/api/v1/recommendations/{rec['id']}"))["status"] == "pending"

    # A precision sent alone is the kept date's: 2021-02-03 is no month or year.
    url = f"/api/v1/decisions/{decision['id']}"
    alone = api.patch(url, {"issued_on_precision": "month"})
    assert alone.status_code == 422 and alone.json()["errors"][0]["field"] == "issued_on_precision"
    assert api.ok(api.get(url))["issued_on_precision"] == "day"
    edited = api.ok(api.patch(url, {"issued_on": "2021-02"}))
    assert (edited["issued_on"], edited["issued_on_precision"]) == ("2021-02-01", "month")
    # A full date sent alone is a day again; a first day may then be said to be a year's.
    assert api.ok(api.patch(url, {"issued_on": "2021-01-01"}))["issued_on_precision"] == "day"
    assert api.ok(api.patch(url, {"issued_on_precision": "year"}))["issued_on_precision"] == "year"


def test_the_edit_form_keeps_the_precision(api: Api) -> None:
    from tests.web_helpers import post_form

    reg = api.regulator()
    decision = api.decision(reg["id"], reference="UPR 2013 Chile", issued_on="2013")
    api.sign_in(Role.editor)
    form = api.get(f"/decisions/{decision['id']}/edit")
    assert form.status_code == 200
    assert '<option value="year" selected' in form.text
    fields = {
        "reference": "UPR 2013 Chile",
        "title": "Edited",
        "kind": "report_of_findings",
        "issued_on": "2013-01-01",
        "issued_on_precision": "year",
        "regulators.0.regulator_id": str(reg["id"]),
        "regulators.0.role": "lead",
    }
    response = post_form(api.client, f"/decisions/{decision['id']}/edit", fields)
    assert response.status_code == 303, response.text
    read = api.ok(api.get(f"/api/v1/decisions/{decision['id']}"))
    assert (read["title"], read["issued_on"], read["issued_on_precision"]) == ("Edited", "2013-01-01", "year")
    # A day within the year, sent as a year, is sent back with the reason beside the date.
    refused = post_form(api.client, f"/decisions/{decision['id']}/edit", fields | {"issued_on": "2013-05-17"})
    assert refused.status_code == 422 and "not the first day of its year" in refused.text


def test_the_record_exchange_keeps_the_precision(api: Api, other_api: Api) -> None:
    reg = api.regulator()
    org = api.organisation()
    decision = api.decision(reg["id"], reference="UPR 2013 Chile", issued_on="2013")
    rec = api.recommendation(decision["id"], org["id"])
    api.assess(rec["id"], "complied", "2014-03")
    exported = api.get("/api/v1/export").content
    imported = other_api.client.post("/api/v1/import", content=exported, headers=other_api.auth(Role.admin))
    assert imported.status_code == 200, imported.text
    [read] = other_api.ok(other_api.get("/api/v1/decisions"))["items"]
    assert (read["issued_on"], read["issued_on_precision"]) == ("2013-01-01", "year")
    [assessment] = other_api.ok(other_api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))
    assert (assessment["assessed_on"], assessment["assessed_on_precision"]) == ("2014-03-01", "month")

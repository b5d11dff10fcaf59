"""A recommendation's own reference (TAIC's `063/05`): unique within its decision, filtered
exactly, searched, shown and edited on the pages, exported and imported."""

import csv
import io
import json

from app.vocab import Role
from tests.conftest import Api
from tests.web_helpers import make_user, post_form, sign_in


def two_decisions(api: Api) -> tuple[dict, dict, dict]:
    reg = api.regulator("Transport Accident Investigation Commission", "NZ")
    org = api.organisation("Maritime New Zealand")
    first = api.decision(reg["id"], reference="TAIC M 2005-201")
    second = api.decision(reg["id"], reference="TAIC M 2006-202")
    return org, first, second


def test_reference_is_read_filtered_exactly_and_unique_within_its_decision(api: Api) -> None:
    org, first, second = two_decisions(api)
    rec = api.recommendation(first["id"], org["id"], "Review the rules", reference="063/05")
    assert rec["reference"] == "063/05"
    assert api.recommendation(first["id"], org["id"], "Without one")["reference"] is None
    # The same reference in another decision is another recommendation.
    other = api.recommendation(second["id"], org["id"], "Review again", reference="063/05")

    found = api.ok(api.get("/api/v1/recommendations", params={"reference": "063/05"}))["items"]
    assert [r["id"] for r in found] == [rec["id"], other["id"]]
    assert api.ok(api.get("/api/v1/recommendations", params={"reference": "063/0"}))["items"] == []
    assert [
        r["id"]
        for r in api.ok(
            api.get("/api/v1/recommendations", params={"reference": "063/05", "decision_id": second["id"]})
        )["items"]
    ] == [other["id"]]

    clash = api.post(
        "/api/v1/recommendations",
        {"decision_id": first["id"], "organisation_id": org["id"], "text": "Again", "reference": "063/05"},
    )
    assert clash.status_code == 409, clash.text
    assert clash.json()["errors"][0]["field"] == "reference"
    # Moving a recommendation into a decision that has its reference clashes too.
    moved = api.patch(f"/api/v1/recommendations/{other['id']}", {"decision_id": first["id"]})
    assert moved.status_code == 409, moved.text
    renamed = api.patch(f"/api/v1/recommendations/{other['id']}", {"reference": "064/05"})
    assert api.ok(renamed)["reference"] == "064/05"
    # Keeping its own reference is no clash with itself.
    assert (
        api.ok(api.patch(f"/api/v1/recommendations/{rec['id']}", {"text": "Review the rules now"}))[
            "reference"
        ]
        == "063/05"
    )
    cleared = api.ok(api.patch(f"/api/v1/recommendations/{other['id']}", {"reference": None}))
    assert cleared["reference"] is None
    assert api.get("/api/v1/recommendations", params={"reference": ""}).status_code == 422


def test_reference_is_searchable(api: Api) -> None:
    org, first, _ = two_decisions(api)
    rec = api.recommendation(first["id"], org["id"], "Review the rules", reference="063/05")
    api.recommendation(first["id"], org["id"], "Something else", reference="064/05")
    hits = api.ok(api.get("/api/v1/search", params={"q": "063/05"}))["items"]
    assert [(h["type"], h["id"]) for h in hits] == [("recommendation", rec["id"])]
    listed = api.ok(api.get("/api/v1/recommendations", params={"q": "063/05"}))["items"]
    assert [r["id"] for r in listed] == [rec["id"]]
    # A changed reference is searched as changed.
    api.ok(api.patch(f"/api/v1/recommendations/{rec['id']}", {"reference": "099/05"}))
    assert api.ok(api.get("/api/v1/search", params={"q": "063/05"}))["items"] == []
    assert [h["id"] for h in api.ok(api.get("/api/v1/search", params={"q": "099/05"}))["items"]] == [
        rec["id"]
    ]


def test_reference_in_csv_export_and_record_exchange(api: Api, other_api: Api) -> None:
    org, first, _ = two_decisions(api)
    api.recommendation(first["id"], org["id"], "Review the rules", reference="063/05")
    response = api.get("/api/v1/export/recommendations.csv")
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["reference"] for r in rows] == ["063/05"]

    exported = api.get("/api/v1/export").content
    assert [r["reference"] for r in json.loads(exported)["recommendations"]] == ["063/05"]
    # A file repeating a reference within one decision is refused whole.
    record = json.loads(exported)
    record["recommendations"].append(record["recommendations"][0] | {"id": 99, "text": "Twice"})
    twice = other_api.client.post(
        "/api/v1/import", content=json.dumps(record).encode(), headers=other_api.auth(Role.admin)
    )
    assert twice.status_code == 422, twice.text
    assert "recommendations[1].reference" in {e["field"] for e in twice.json()["errors"]}
    imported = other_api.client.post("/api/v1/import", content=exported, headers=other_api.auth(Role.admin))
    assert imported.status_code == 200, imported.text
    assert other_api.get("/api/v1/export").content == exported


def test_reference_on_the_pages(api: Api) -> None:
    org, first, _ = two_decisions(api)
    sign_in(api.client, make_user(api.db))
    new = post_form(
        api.client,
        f"/recommendations/new?decision_id={first['id']}",
        {
            "decision_id": str(first["id"]),
            "organisation_id": str(org["id"]),
            "reference": "063/05",
            "text": "Review the rules",
            "kind": "recommendation",
            "due_on": "",
        },
    )
    assert new.status_code == 303, new.text
    rec_id = int(new.headers["location"].rsplit("-", 1)[1])
    assert api.ok(api.get(f"/api/v1/recommendations/{rec_id}"))["reference"] == "063/05"
    page = api.client.get(f"/recommendations/{rec_id}").text
    assert "<dt>Reference</dt><dd>063/05</dd>" in page
    assert "063/05 ·" in api.client.get("/recommendations?reference=063/05").text
    assert "063/05" in api.client.get(f"/decisions/{first['id']}").text
    form = api.client.get(f"/recommendations/{rec_id}/edit").text
    assert 'name="reference"' in form and 'value="063/05"' in form
    # A clash is told on the form, not a server error.
    clash = post_form(
        api.client,
        f"/recommendations/new?decision_id={first['id']}",
        {
            "decision_id": str(first["id"]),
            "organisation_id": str(org["id"]),
            "reference": "063/05",
            "text": "Again",
            "kind": "recommendation",
            "due_on": "",
        },
    )
    assert clash.status_code == 409, clash.status_code
    assert "already used by another recommendation of this decision" in clash.text

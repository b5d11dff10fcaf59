"""The parties that made a recommendation (issue 25, part 4): `recommended_by` in recommendation
reads and writes, `?recommended_by=ID` on the list (API and page), in words on the decision
and recommendation pages, moved by a merge of organisations and put back by its undo, and kept
by the whole-record export and import."""

import json
from typing import Any

from app.vocab import Role
from tests.conftest import Api, table_counts


def export(api: Api) -> bytes:
    response = api.get("/api/v1/export")
    assert response.status_code == 200, response.text
    return response.content


def upr(api: Api) -> dict[str, Any]:
    """A review of Azerbaijan with 109.3, recommended by Brazil and Chile, and 109.4 by France."""
    reg = api.regulator("UN Human Rights Council — Universal Periodic Review", "UN")
    ids = {
        name: api.organisation(name, kind="public_body")["id"]
        for name in ("Azerbaijan", "Brazil", "Chile", "France")
    }
    decision = api.decision(
        reg["id"],
        reference="UPR 2013 Azerbaijan",
        organisations=[{"organisation_id": ids["Azerbaijan"], "role": "respondent"}],
    )
    ids["decision"] = decision["id"]
    ids["cped"] = api.recommendation(
        decision["id"],
        ids["Azerbaijan"],
        "109.3. Ratify CPED (Brazil, Chile);",
        reference="109.3",
        recommended_by=[ids["Brazil"], ids["Chile"], ids["Brazil"]],
    )["id"]
    ids["france"] = api.recommendation(
        decision["id"],
        ids["Azerbaijan"],
        "109.4. Ratify CPED (France);",
        reference="109.4",
        recommended_by=[ids["France"]],
    )["id"]
    ids["plain"] = api.recommendation(decision["id"], ids["Azerbaijan"], "Report back")["id"]
    return ids


def test_recommended_by_is_read_written_and_filtered(api: Api) -> None:
    ids = upr(api)
    cped = api.ok(api.get(f"/api/v1/recommendations/{ids['cped']}"))
    # In the order given, each once.
    assert cped["recommended_by"] == [ids["Brazil"], ids["Chile"]]
    assert api.ok(api.get(f"/api/v1/recommendations/{ids['plain']}"))["recommended_by"] == []
    listed = api.ok(api.get("/api/v1/recommendations", params={"recommended_by": ids["Chile"]}))["items"]
    assert [r["id"] for r in listed] == [ids["cped"]] and listed[0]["recommended_by"] == cped[
        "recommended_by"
    ]
    everything = api.ok(api.get("/api/v1/recommendations"))["items"]
    assert {r["id"]: r["recommended_by"] for r in everything} == {
        ids["cped"]: [ids["Brazil"], ids["Chile"]],
        ids["france"]: [ids["France"]],
        ids["plain"]: [],
    }
    # As of a day, the same.
    dated = api.ok(
        api.get("/api/v1/recommendations", params={"recommended_by": ids["France"], "as_of": "2022-01-01"})
    )
    assert [r["id"] for r in dated["items"]] == [ids["france"]]
    # A PATCH replaces them; audited before and after.
    url = f"/api/v1/recommendations/{ids['cped']}"
    changed = api.ok(api.patch(url, {"recommended_by": [ids["Chile"]]}))
    assert changed["recommended_by"] == [ids["Chile"]] and changed["version"] == cped["version"] + 1
    entries = api.ok(api.get("/api/v1/audit?entity=recommendation", headers=api.auth(Role.admin)))["items"]
    update = next(e for e in entries if e["action"] == "update" and e["entity_id"] == ids["cped"])
    assert update["before"]["recommended_by"] == [ids["Brazil"], ids["Chile"]]
    assert update["after"]["recommended_by"] == [ids["Chile"]]
    # Left out of a PATCH, they stay.
    assert api.ok(api.patch(url, {"text": "109.3. Ratify CPED;"}))["recommended_by"] == [ids["Chile"]]


def test_an_unknown_party_is_a_422_and_changes_nothing(api: Api) -> None:
    ids = upr(api)
    counts = table_counts(api.db)
    body = {
        "decision_id": ids["decision"],
        "organisation_id": ids["Azerbaijan"],
        "text": "x",
        "recommended_by": [ids["Chile"], 999999],
    }
    refused = api.post("/api/v1/recommendations", body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["recommended_by.1"]
    assert api.patch(f"/api/v1/recommendations/{ids['cped']}", {"recommended_by": [0]}).status_code == 422
    assert api.patch(f"/api/v1/recommendations/{ids['cped']}", {"recommended_by": None}).status_code == 422
    assert table_counts(api.db) == counts
    # An organisation that made a recommendation is not deleted from under it.
    gone = api.delete(f"/api/v1/organisations/{ids['France']}")
    assert gone.status_code == 409 and "recommendations made by it" in gone.json()["detail"], gone.text
    bad_filter = api.get("/api/v1/recommendations", params={"recommended_by": "Brazil"})
    assert bad_filter.status_code == 422


def test_pages_say_who_recommended_it(api: Api) -> None:
    ids = upr(api)
    decision = api.get(f"/decisions/{ids['decision']}").text
    assert "recommended by" in decision
    brazil, chile = ids["Brazil"], ids["Chile"]
    assert (
        f'<a href="/organisations/{brazil}">Brazil</a>, <a href="/organisations/{chile}">Chile</a>'
        in decision
    )
    page = api.get(f"/recommendations/{ids['cped']}").text
    assert "<dt>Recommended by</dt>" in page and f'/organisations/{ids["Chile"]}">Chile</a>' in page
    assert "<dt>Recommended by</dt>" not in api.get(f"/recommendations/{ids['plain']}").text
    # The list page filters by a name typed in its chooser, and says it in words.
    listed = api.get("/recommendations", params={"recommended_by": "France"})
    assert listed.status_code == 200
    assert "109.4. Ratify CPED (France);" in listed.text and "109.3. Ratify CPED" not in listed.text
    assert "recommended by" in listed.text
    unknown = api.get("/recommendations", params={"recommended_by": "Atlantis"})
    assert unknown.status_code == 422 and "Atlantis" in unknown.text


def test_a_merge_moves_the_recommending_links_and_its_undo_restores_them(api: Api) -> None:
    ids = upr(api)
    # "Brasil", a second record of Brazil, made 109.4 beside France, and 109.3 beside Brazil.
    brasil = api.organisation("Brasil", kind="public_body")["id"]
    api.ok(api.patch(f"/api/v1/recommendations/{ids['france']}", {"recommended_by": [brasil, ids["France"]]}))
    api.ok(
        api.patch(
            f"/api/v1/recommendations/{ids['cped']}",
            {"recommended_by": [ids["Brazil"], brasil, ids["Chile"]]},
        )
    )
    before = export(api)
    url = f"/api/v1/organisations/{brasil}"
    api.ok(api.post(f"{url}/merge", {"into": ids["Brazil"]}, headers=api.current(url)))
    # Brazil takes Brasil's place, named once where both were.
    assert api.ok(api.get(f"/api/v1/recommendations/{ids['france']}"))["recommended_by"] == [
        ids["Brazil"],
        ids["France"],
    ]
    assert api.ok(api.get(f"/api/v1/recommendations/{ids['cped']}"))["recommended_by"] == [
        ids["Brazil"],
        ids["Chile"],
    ]
    listed = api.ok(api.get("/api/v1/recommendations", params={"recommended_by": ids["Brazil"]}))["items"]
    assert sorted(r["id"] for r in listed) == sorted([ids["cped"], ids["france"]])
    entry = api.ok(api.get("/api/v1/merges", headers=api.auth()))["items"][0]
    assert entry["moved"]["recommended"] == sorted([ids["cped"], ids["france"]])
    etag = api.get(f"/api/v1/merges/{entry['id']}", headers=api.auth()).headers["etag"]
    done = api.post(f"/api/v1/merges/{entry['id']}/undo", None, headers={"If-Match": etag})
    assert done.status_code == 200, done.text
    assert export(api) == before
    assert api.ok(api.get(f"/api/v1/recommendations/{ids['cped']}"))["recommended_by"] == [
        ids["Brazil"],
        brasil,
        ids["Chile"],
    ]


def test_the_record_export_and_import_keep_them(api: Api, other_api: Api) -> None:
    ids = upr(api)
    first = export(api)
    record = json.loads(first)
    made = {r["id"]: r.get("recommended_by") for r in record["recommendations"]}
    # Written where a recommendation has some, and only there.
    assert made == {
        ids["cped"]: [ids["Brazil"], ids["Chile"]],
        ids["france"]: [ids["France"]],
        ids["plain"]: None,
    }
    # One naming an organisation the file lacks is refused, naming it; nothing is written.
    broken = json.loads(first)
    broken["recommendations"][0]["recommended_by"] = [999]
    refused = other_api.client.post(
        "/api/v1/import", content=json.dumps(broken).encode(), headers=other_api.auth(Role.admin)
    )
    assert refused.status_code == 422, refused.text
    assert "recommendations[0].recommended_by[0]" in {e["field"] for e in refused.json()["errors"]}
    imported = other_api.client.post("/api/v1/import", content=first, headers=other_api.auth(Role.admin))
    assert imported.status_code == 200, imported.text
    assert export(other_api) == first
    url = f"/api/v1/recommendations?recommended_by={ids['Chile']}"
    assert api.ok(api.get(url)) == other_api.ok(other_api.get(url))

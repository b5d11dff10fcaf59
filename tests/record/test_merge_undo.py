"""Merges that can be undone (issue 26, part 4): the log of merges (`GET /api/v1/merges`, one
with its ETag), `POST /api/v1/merges/{id}/undo` putting back exactly what the merge moved (the
whole-record export is byte for byte what it was before the merge), audited; an undone merge
is a 409, one whose kept record was merged again since (or changed since) a 422 naming it."""

from typing import Any

from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.record.test_merges import ico_pair, merge, two_parties
from tests.web_helpers import csrf_of, make_user, sign_in


def export(api: Api) -> bytes:
    response = api.get("/api/v1/export")
    assert response.status_code == 200, response.text
    return response.content


def last_merge(api: Api) -> dict[str, Any]:
    items = api.ok(api.get("/api/v1/merges", headers=api.auth()))["items"]
    return items[0]


def undo(api: Api, merge_id: int, etag: str | None = None, role: Role = Role.editor) -> Any:
    if etag is None:
        etag = api.get(f"/api/v1/merges/{merge_id}", headers=api.auth()).headers["etag"]
    return api.post(f"/api/v1/merges/{merge_id}/undo", None, role=role, headers={"If-Match": etag})


def test_an_organisation_merge_undone_leaves_the_export_as_before(api: Api) -> None:
    ids = two_parties(api)
    before = export(api)
    api.ok(merge(api, "organisations", ids["dup"], ids["kept"]))
    assert export(api) != before
    entry = last_merge(api)
    assert (entry["kind"], entry["merged_id"], entry["into_id"]) == ("organisation", ids["dup"], ids["kept"])
    assert entry["moved"]["decisions"] == [ids["decision"]] and entry["moved"]["recommendations"] == [
        ids["rec"]
    ]
    assert entry["undone_at"] is None and entry["merged_by"]
    # One merge, with its ETag; an undo needs it (428 without, 412 stale), and an editor.
    one = api.get(f"/api/v1/merges/{entry['id']}", headers=api.auth())
    assert one.status_code == 200 and one.headers["etag"] == f'"{entry["version"]}"'
    assert api.get(f"/api/v1/merges/{entry['id']}", headers=api.auth(Role.reader)).status_code == 403
    assert api.get("/api/v1/merges/999999", headers=api.auth()).status_code == 404
    assert api.post(f"/api/v1/merges/{entry['id']}/undo", None).status_code == 428
    assert undo(api, entry["id"], etag='"99"').status_code == 412
    assert undo(api, entry["id"], role=Role.reader).status_code == 403
    done = undo(api, entry["id"])
    assert done.status_code == 200, done.text
    assert done.json()["undone_at"] is not None and done.headers["etag"] != one.headers["etag"]
    # Exactly as before: the merged organisation with its id, names and country; its decision,
    # finding and recommendation back; the kept one's aliases, version and stamps as they were.
    assert export(api) == before
    assert api.get(f"/api/v1/organisations/{ids['dup']}", follow_redirects=False).status_code == 200
    decision = api.ok(api.get(f"/api/v1/decisions/{ids['decision']}"))
    assert [o["organisation_id"] for o in decision["organisations"]] == [ids["dup"]]
    assert api.ok(api.get(f"/api/v1/organisations/{ids['dup']}"))["decision_count"] == 1
    # Audited; undone twice: 409, changing nothing.
    entries = api.ok(api.get("/api/v1/audit?entity=organisation", headers=api.auth(Role.admin)))["items"]
    assert any(e["action"] == "undo_merge" and e["entity_id"] == ids["dup"] for e in entries)
    counts = table_counts(api.db)
    again = undo(api, entry["id"])
    assert again.status_code == 409, again.text
    assert "already undone" in again.json()["detail"]
    assert table_counts(api.db) == counts
    # The pair is suggested again (the merge had taken it away).
    listed = api.ok(api.get("/api/v1/duplicates", headers=api.auth()))["organisations"]
    assert [[r["id"] for r in p["records"]] for p in listed] == [[ids["kept"], ids["dup"]]]


def test_a_decision_merge_undone_leaves_the_export_as_before(api: Api) -> None:
    ids = ico_pair(api)
    before = export(api)
    merged = api.ok(merge(api, "decisions", ids["eur"], ids["gbp"]))
    assert merged["reported_amounts"] and merged["standing"] == "overturned"
    entry = last_merge(api)
    assert entry["moved"]["recommendations"] == [ids["rec"]]
    assert entry["moved"]["later_decisions_relinked"] == [ids["later"]]
    assert undo(api, entry["id"]).status_code == 200
    assert export(api) == before
    # Reads follow (the stored documents were made again): both decisions as they were.
    eur = api.ok(api.get(f"/api/v1/decisions/{ids['eur']}"))
    assert eur["recommendation_counts"] == {"disputed": 1} and eur["standing"] == "overturned"
    gbp = api.ok(api.get(f"/api/v1/decisions/{ids['gbp']}"))
    assert gbp["reported_amounts"] == [] and gbp["recommendation_counts"] == {}
    assert api.ok(api.get(f"/api/v1/recommendations/{ids['rec']}"))["decision_id"] == ids["eur"]


def test_undo_refused_when_the_kept_record_was_merged_again_or_changed(api: Api) -> None:
    ids = two_parties(api)
    third = api.organisation("Clearview AI Incorporated")
    api.ok(merge(api, "organisations", ids["dup"], ids["kept"]))
    first = last_merge(api)
    api.ok(merge(api, "organisations", ids["kept"], third["id"]))
    second = last_merge(api)
    counts = table_counts(api.db)
    refused = undo(api, first["id"])
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert f"merged into organisation {third['id']} since (merge {second['id']})" in problem["detail"]
    assert problem["errors"][0]["field"] == "into_id" and problem["errors"][0]["type"] == "merged_again"
    assert table_counts(api.db) == counts
    # Undone in turn, newest first: both come back.
    assert undo(api, second["id"]).status_code == 200
    assert undo(api, first["id"]).status_code == 200
    # A kept record edited since the merge: 422 naming what changed, nothing written.
    api.ok(merge(api, "organisations", ids["dup"], ids["kept"]))
    entry = last_merge(api)
    url = f"/api/v1/organisations/{ids['kept']}"
    api.ok(api.patch(url, {"website": "https://clearview.ai"}, headers=api.current(url)))
    counts = table_counts(api.db)
    changed = undo(api, entry["id"])
    assert changed.status_code == 422, changed.text
    assert f"organisations {ids['kept']}" in changed.json()["detail"]
    assert changed.json()["errors"][0]["type"] == "changed"
    assert table_counts(api.db) == counts


def test_undo_from_the_merges_page(api: Api) -> None:
    ids = two_parties(api)
    api.ok(merge(api, "organisations", ids["dup"], ids["kept"]))
    entry = last_merge(api)
    sign_in(api.client, make_user(api.db))
    page = api.get("/merges").text
    assert f'action="/merges/{entry["id"]}/undo"' in page
    done = api.client.post(
        f"/merges/{entry['id']}/undo",
        data={"csrf_token": csrf_of(page), "version": str(entry["version"])},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/organisations/{ids['dup']}"
    assert "Merge undone" in api.client.get(done.headers["location"]).text
    assert "undone" in api.get("/merges").text
    again = api.client.post(
        f"/merges/{entry['id']}/undo",
        data={"csrf_token": csrf_of(page), "version": str(entry["version"] + 1)},
        follow_redirects=False,
    )
    assert again.status_code == 409 and "already undone" in again.text

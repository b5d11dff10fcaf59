"""Merging duplicates (API and pages): everything moves to the kept record, the merged id
answers 308 to it, the audit log holds the change, and each refusal changes nothing."""

from typing import Any

from sqlalchemy import select

from app.models import AuditEntry
from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.web_helpers import fast_passwords, make_user, post_form, sign_in  # noqa: F401


def two_parties(api: Api) -> dict[str, Any]:
    reg = api.regulator("Information Commissioner's Office", "GB")
    kept = api.organisation("Clearview AI, Inc.", aliases=["Clearview"])
    dup = api.organisation("Clearview AI Inc", aliases=["CV AI"], country="US")
    decision = api.decision(
        reg["id"],
        reference="ICO-1",
        organisations=[{"organisation_id": dup["id"], "role": "respondent"}],
        findings=[{"text": "Unlawful", "organisation_id": dup["id"], "outcome": "contravention"}],
    )
    rec = api.recommendation(decision["id"], dup["id"])
    api.assess(rec["id"], "disputed", "2022-06-01")
    return {
        "regulator": reg["id"],
        "kept": kept["id"],
        "dup": dup["id"],
        "decision": decision["id"],
        "rec": rec["id"],
    }


def merge(api: Api, collection: str, id: int, into: Any, **kw: Any) -> Any:
    headers = kw.pop("headers", None)
    if headers is None:
        headers = api.current(f"/api/v1/{collection}/{id}")
    return api.post(f"/api/v1/{collection}/{id}/merge", {"into": into}, headers=headers, **kw)


def test_organisation_merge_moves_everything_and_redirects(api: Api) -> None:
    ids = two_parties(api)
    kept_etag = api.get(f"/api/v1/organisations/{ids['kept']}").headers["etag"]
    response = merge(api, "organisations", ids["dup"], ids["kept"])
    body = api.ok(response)
    assert body["id"] == ids["kept"] and response.headers["etag"] != kept_etag
    assert body["aliases"] == ["Clearview", "Clearview AI Inc", "CV AI"]
    assert body["country"] == "US" and body["decision_count"] == 1
    assert body["recommendation_counts"] == {"disputed": 1} and body["compliance"] == "disputed"
    decision = api.ok(api.get(f"/api/v1/decisions/{ids['decision']}"))
    assert [o["organisation_id"] for o in decision["organisations"]] == [ids["kept"]]
    assert decision["findings"][0]["organisation_id"] == ids["kept"]
    assert api.ok(api.get(f"/api/v1/recommendations/{ids['rec']}"))["organisation_id"] == ids["kept"]
    # The old id answers 308 to the kept one, in the API and on the pages, sub-paths too.
    old = api.get(f"/api/v1/organisations/{ids['dup']}", follow_redirects=False)
    assert old.status_code == 308 and old.headers["location"] == f"/api/v1/organisations/{ids['kept']}"
    page = api.get(f"/organisations/{ids['dup']}?as_of=2023-01-01", follow_redirects=False)
    assert (
        page.status_code == 308
        and page.headers["location"] == f"/organisations/{ids['kept']}?as_of=2023-01-01"
    )
    assert api.get(f"/organisations/{ids['dup']}").url.path == f"/organisations/{ids['kept']}"
    # The audit log holds the whole change: the merged record as it was, what moved, the kept one.
    with api.db.transaction(write=False) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).all()
        [entry] = entries
        assert (entry.entity, entry.entity_id) == ("organisation", ids["dup"])
        assert entry.before["name"] == "Clearview AI Inc"
        assert entry.after == {
            "merged_into": ids["kept"],
            "decisions": [ids["decision"]],
            "recommendations": [ids["rec"]],
            "findings": entry.after["findings"],
            "subsidiaries": [],
            "former_subsidiaries": [],
        }
        assert len(entry.after["findings"]) == 1
        [kept_update] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "update", AuditEntry.entity_id == ids["kept"])
        ).all()
        assert kept_update.before["aliases"] == ["Clearview"]
        assert kept_update.after["aliases"] == ["Clearview", "Clearview AI Inc", "CV AI"]


def test_organisation_merge_refusals_change_nothing(api: Api) -> None:
    ids = two_parties(api)
    before = table_counts(api.db)
    itself = merge(api, "organisations", ids["dup"], ids["dup"])
    assert itself.status_code == 422 and itself.json()["errors"][0]["field"] == "into"
    assert merge(api, "organisations", ids["dup"], 999_999).status_code == 404
    assert (
        merge(api, "organisations", ids["dup"], ids["kept"], headers={"If-Match": '"99"'}).status_code == 412
    )
    missing = api.post(f"/api/v1/organisations/{ids['dup']}/merge", {"into": ids["kept"]})
    assert missing.status_code == 428
    assert merge(api, "organisations", ids["dup"], ids["kept"], role=Role.reader).status_code == 403
    assert merge(api, "organisations", ids["dup"], "x").status_code == 422
    assert table_counts(api.db) == before
    # Both parties of one decision in different roles: refused, naming the clash.
    api.patch(
        f"/api/v1/decisions/{ids['decision']}",
        {
            "organisations": [
                {"organisation_id": ids["dup"], "role": "respondent"},
                {"organisation_id": ids["kept"], "role": "client"},
            ]
        },
    )
    clash = merge(api, "organisations", ids["dup"], ids["kept"])
    assert clash.status_code == 422
    assert f"decision {ids['decision']} in different roles (respondent and client)" in clash.json()["detail"]


def ico_pair(api: Api) -> dict[str, Any]:
    reg = api.regulator("Information Commissioner's Office", "GB")
    org = api.organisation("Clearview AI, Inc.")
    common = {
        "organisations": [{"organisation_id": org["id"], "role": "respondent"}],
        "issued_on": "2022-05-18",
    }
    gbp = api.decision(
        reg["id"],
        reference="ICO MPN",
        penalty_amount="7552800",
        penalty_currency="GBP",
        tags=["gdpr"],
        **common,
    )
    # Refused on create as the same act (in another currency): recorded on another day, then
    # moved to this one, as a record made before that rule may hold it.
    eur = api.decision(
        reg["id"],
        reference="privacyaffairs #1055",
        penalty_amount="9000000",
        penalty_currency="EUR",
        tags=["biometrics"],
        provisions=["Art. 5 GDPR"],
        sources=[{"url": "https://www.privacyaffairs.com/gdpr-fines/"}],
        findings=[{"text": "No lawful basis", "provision": "Art. 6 GDPR", "outcome": "contravention"}],
        **(common | {"issued_on": "2022-05-17"}),
    )
    eur = api.ok(api.patch(f"/api/v1/decisions/{eur['id']}", {"issued_on": "2022-05-18"}))
    later = api.decision(
        reg["id"],
        reference="Appeal",
        issued_on="2023-10-17",
        related=[{"decision_id": eur["id"], "relation": "overturns"}],
    )
    rec = api.recommendation(eur["id"], org["id"])
    api.assess(rec["id"], "disputed", "2022-06-01")
    return {
        "regulator": reg["id"],
        "org": org["id"],
        "gbp": gbp["id"],
        "eur": eur["id"],
        "later": later["id"],
        "rec": rec["id"],
    }


def test_decision_merge_moves_everything_and_redirects(api: Api) -> None:
    ids = ico_pair(api)
    assert len(api.ok(api.get("/api/v1/duplicates", headers=api.auth()))["decisions"]) == 1
    body = api.ok(merge(api, "decisions", ids["eur"], ids["gbp"]))
    assert body["id"] == ids["gbp"]
    assert (body["penalty_amount"], body["penalty_currency"]) == ("7552800.00", "GBP")
    assert body["tags"] == ["biometrics", "gdpr"] and body["provisions"] == ["Art. 5 GDPR"]
    # Its penalty in another currency stays as a reported amount of the kept decision.
    assert body["reported_amounts"] == [
        {"amount": "9000000.00", "currency": "EUR", "source": "decision privacyaffairs #1055"}
    ]
    assert [f["text"] for f in body["findings"]] == ["No lawful basis"]
    assert [s["url"] for s in body["sources"]] == ["https://www.privacyaffairs.com/gdpr-fines/"]
    assert body["recommendation_counts"] == {"disputed": 1} and body["compliance"] == "disputed"
    assert body["standing"] == "overturned"  # the later decision's link now points here
    assert api.ok(api.get(f"/api/v1/recommendations/{ids['rec']}"))["decision_id"] == ids["gbp"]
    old = api.get(f"/api/v1/decisions/{ids['eur']}", follow_redirects=False)
    assert old.status_code == 308 and old.headers["location"] == f"/api/v1/decisions/{ids['gbp']}"
    page = api.get(f"/decisions/{ids['eur']}", follow_redirects=False)
    assert page.status_code == 308 and page.headers["location"] == f"/decisions/{ids['gbp']}"
    assert api.ok(api.get("/api/v1/duplicates", headers=api.auth()))["decisions"] == []
    org = api.ok(api.get(f"/api/v1/organisations/{ids['org']}"))
    assert org["decision_count"] == 1 and org["penalties"] == {"GBP": "7552800.00"}


def test_decision_merge_refusals(api: Api) -> None:
    ids = ico_pair(api)
    other = api.regulator("CNIL", "FR")
    cnil = api.decision(other["id"], reference="CNIL", issued_on="2022-05-18")
    before = table_counts(api.db)
    refused = merge(api, "decisions", ids["eur"], cnil["id"])
    assert refused.status_code == 422 and "another regulator" in refused.json()["detail"]
    assert merge(api, "decisions", ids["eur"], ids["eur"]).status_code == 422
    assert merge(api, "decisions", ids["eur"], 999_999).status_code == 404
    assert merge(api, "decisions", ids["eur"], ids["gbp"], headers={"If-Match": '"99"'}).status_code == 412
    assert table_counts(api.db) == before
    # Two recommendations with the same reference would clash in one decision: refused, named.
    rec = api.ok(api.get(f"/api/v1/recommendations/{ids['rec']}"))
    api.ok(
        api.patch(
            f"/api/v1/recommendations/{ids['rec']}",
            {"reference": "1/22"},
            headers=api.current(f"/api/v1/recommendations/{ids['rec']}"),
        )
    )
    api.recommendation(ids["gbp"], rec["organisation_id"], reference="1/22")
    before = table_counts(api.db)
    clash = merge(api, "decisions", ids["eur"], ids["gbp"])
    assert clash.status_code == 422, clash.text
    assert "'1/22'" in clash.json()["detail"] and clash.json()["errors"][0]["field"] == "into"
    assert table_counts(api.db) == before


def test_merges_from_the_duplicates_page(api: Api) -> None:
    from tests.web_helpers import csrf_of

    ids = ico_pair(api)
    dup_org = api.organisation("Clearview AI")
    sign_in(api.client, make_user(api.db))
    page = api.get("/duplicates").text
    # Each pair leads to a page that shows what will move and asks to confirm.
    assert f'href="/decisions/{ids["eur"]}/merge?into={ids["gbp"]}"' in page
    assert f'href="/organisations/{dup_org["id"]}/merge?into={ids["org"]}"' in page
    confirm = api.get(f"/decisions/{ids['eur']}/merge?into={ids['gbp']}").text
    assert f'action="/decisions/{ids["eur"]}/merge"' in confirm
    assert "1 recommendation(s), with their assessments" in confirm
    assert "its penalty, EUR 9,000,000.00, as a reported amount (never in a total)" in confirm
    confirm = api.get(f"/organisations/{dup_org['id']}/merge?into={ids['org']}").text
    assert f'action="/organisations/{dup_org["id"]}/merge"' in confirm
    assert "its names as aliases: Clearview AI" in confirm
    token = csrf_of(page)
    # A stale version is refused on the page too, and nothing changes.
    stale = api.client.post(
        f"/decisions/{ids['eur']}/merge",
        data={"csrf_token": token, "into": str(ids["gbp"]), "version": "99"},
        follow_redirects=False,
    )
    assert stale.status_code == 412 and "has changed since you read it" in stale.text
    version = api.get(f"/api/v1/decisions/{ids['eur']}").headers["etag"].strip('"')
    done = api.client.post(
        f"/decisions/{ids['eur']}/merge",
        data={"csrf_token": token, "into": str(ids["gbp"]), "version": version},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/decisions/{ids['gbp']}"
    kept_page = api.client.get(done.headers["location"]).text
    assert "Merged: everything of the duplicate is now here" in kept_page
    assert "0 of 1 complied, 1 disputed" in kept_page
    moved = api.client.get(f"/decisions/{ids['eur']}", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == f"/decisions/{ids['gbp']}"
    # The organisation pair, merged from the page: its names become the kept one's aliases.
    version = api.get(f"/api/v1/organisations/{dup_org['id']}").headers["etag"].strip('"')
    merged = api.client.post(
        f"/organisations/{dup_org['id']}/merge",
        data={"csrf_token": token, "into": str(ids["org"]), "version": version},
        follow_redirects=False,
    )
    assert merged.status_code == 303 and merged.headers["location"] == f"/organisations/{ids['org']}"
    assert api.ok(api.get(f"/api/v1/organisations/{ids['org']}"))["aliases"] == ["Clearview AI"]
    assert "Decisions (0 clusters, 0 pairs)" in api.get("/duplicates").text
    # Without the form token: refused.
    assert (
        api.client.post(f"/organisations/{ids['org']}/merge", data={"into": "1", "version": "1"}).status_code
        == 403
    )


def _by_id(export: dict[str, Any]) -> dict[tuple[str, int], Any]:
    return {
        (section, item["id"]): item
        for section, items in export.items()
        if isinstance(items, list)
        for item in items
        if isinstance(item, dict) and "id" in item
    }


def test_export_before_and_after_differ_only_by_the_merge(api: Api) -> None:
    ids = two_parties(api)
    before = _by_id(api.ok(api.get("/api/v1/export")))
    api.ok(merge(api, "organisations", ids["dup"], ids["kept"]))
    after = _by_id(api.ok(api.get("/api/v1/export")))
    assert set(before) - set(after) == {("organisations", ids["dup"])}
    assert set(after) == set(before) - {("organisations", ids["dup"])}
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {
        ("organisations", ids["kept"]),
        ("decisions", ids["decision"]),
        ("recommendations", ids["rec"]),
    }
    stamps = {"version", "updated_at"}

    def without(item: dict[str, Any], *keys: str) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in stamps and k not in keys}

    kept_before, kept_after = before[("organisations", ids["kept"])], after[("organisations", ids["kept"])]
    assert without(kept_after, "aliases", "country") == without(kept_before, "aliases", "country")
    rec_before, rec_after = before[("recommendations", ids["rec"])], after[("recommendations", ids["rec"])]
    assert without(rec_after, "organisation_id") == without(rec_before, "organisation_id")
    assert rec_after["organisation_id"] == ids["kept"]
    # Everything else (regulators, the assessments inside the recommendation...) is as it was.
    assert rec_after.get("assessments") == rec_before.get("assessments")


def test_a_retried_merge_with_its_idempotency_key_gets_the_first_answer(api: Api) -> None:
    ids = ico_pair(api)
    headers = api.current(f"/api/v1/decisions/{ids['eur']}") | {"Idempotency-Key": "merge-1"}
    first = api.post(f"/api/v1/decisions/{ids['eur']}/merge", {"into": ids["gbp"]}, headers=headers)
    again = api.post(f"/api/v1/decisions/{ids['eur']}/merge", {"into": ids["gbp"]}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    # Without the key, a second merge of the gone record is sent on to the kept one.
    plain = api.post(
        f"/api/v1/decisions/{ids['eur']}/merge",
        {"into": ids["gbp"]},
        headers={"If-Match": headers["If-Match"]},
        follow_redirects=False,
    )
    assert plain.status_code == 308 and plain.headers["location"] == f"/api/v1/decisions/{ids['gbp']}/merge"

"""Whole groups: an organisation's read carries its group (it and every subsidiary below it,
as owned now) with decisions, penalties (imposed, in force, contested), recommendation counts and
complied share, a decision involving several members counted once; the page shows the group."""

from decimal import Decimal
from typing import Any

from tests.conftest import Api


def _fine(api: Api, regulator: dict[str, Any], reference: str, amount: str, *who: dict[str, Any]) -> Any:
    return api.decision(
        regulator["id"],
        reference=reference,
        issued_on="2023-05-12",
        kind="fine",
        penalty_amount=amount,
        penalty_currency="EUR",
        organisations=[{"organisation_id": o["id"], "role": "respondent"} for o in who],
    )


def _group(api: Api) -> dict[str, Any]:
    dpc = api.regulator("Data Protection Commission", "IE")
    meta = api.organisation("Meta Platforms, Inc.", country="US")
    ireland = api.organisation("Meta Platforms Ireland Limited", country="IE", parent_id=meta["id"])
    whatsapp = api.organisation("WhatsApp Ireland Limited", country="IE", parent_id=ireland["id"])
    other = api.organisation("Acme", country="IE")
    _fine(api, dpc, "META-1", "1200000000", ireland)
    _fine(api, dpc, "WA-1", "225000000", whatsapp)
    _fine(api, dpc, "ACME-1", "5", other)
    # One decision fining two members: once in the group's total.
    both = _fine(api, dpc, "JOINT-1", "100", ireland, whatsapp)
    rec = api.recommendation(both["id"], whatsapp["id"], "Stop sharing data")
    api.assess(rec["id"], "complied", "2023-09-01")
    api.recommendation(both["id"], ireland["id"], "Delete the data")
    return {"meta": meta, "ireland": ireland, "whatsapp": whatsapp}


def test_a_group_totals_its_members_each_decision_once(api: Api) -> None:
    g = _group(api)
    meta = api.ok(api.get(f"/api/v1/organisations/{g['meta']['id']}"))
    # Meta itself is party to nothing; its group is the three of them.
    assert meta["decision_count"] == 0 and meta["penalties"] == {}
    group = meta["group"]
    assert group["organisation_count"] == 3
    assert group["decision_count"] == 3
    assert group["penalties"] == {"EUR": "1425000100.00"}
    assert group["penalties_in_force"] == {"EUR": "1425000100.00"}
    assert group["recommendation_counts"] == {"complied": 1, "pending": 1}
    assert group["complied_share"] == 0.5 and group["compliance"] == "partially_complied"

    # Without a decision shared by two members, the group's total is the sum of its members'.
    members = [api.ok(api.get(f"/api/v1/organisations/{g[k]['id']}")) for k in ("ireland", "whatsapp")]
    shared = Decimal(100)
    assert sum(Decimal(m["penalties"]["EUR"]) for m in members) - shared == Decimal(group["penalties"]["EUR"])

    # A subsidiary's group is itself and what is below it; one with none is its own group.
    ireland = api.ok(api.get(f"/api/v1/organisations/{g['ireland']['id']}"))["group"]
    assert ireland["organisation_count"] == 2 and ireland["penalties"] == group["penalties"]
    whatsapp = api.ok(api.get(f"/api/v1/organisations/{g['whatsapp']['id']}"))
    assert whatsapp["group"]["organisation_count"] == 1
    assert whatsapp["group"]["penalties"] == whatsapp["penalties"] == {"EUR": "225000100.00"}

    # The list carries the same group figures, also when a page holds a group and its members.
    listed = {o["id"]: o for o in api.ok(api.get("/api/v1/organisations", params={"limit": 50}))["items"]}
    assert listed[g["meta"]["id"]]["group"] == group
    assert listed[g["ireland"]["id"]]["group"]["organisation_count"] == 2

    # As of a day before the fines, the group has none.
    then = api.ok(api.get(f"/api/v1/organisations/{g['meta']['id']}", params={"as_of": "2022-01-01"}))
    assert then["group"]["decision_count"] == 0 and then["group"]["penalties"] == {}


def test_the_organisation_page_shows_its_group(api: Api) -> None:
    g = _group(api)
    text = " ".join(api.get(f"/organisations/{g['meta']['id']}").text.split())
    assert "Its group: 3 organisations" in text
    assert "1,425,000,100.00 EUR</strong> imposed: all in force" in text
    assert "Meta Platforms Ireland Limited</a>, <a" in text and "WhatsApp Ireland Limited</a>." in text
    alone = " ".join(api.get(f"/organisations/{g['whatsapp']['id']}").text.split())
    assert "Its group" not in alone

"""Parents carry dates (issue 26, whole groups): an organisation belongs to its parent since
`parent_since` and to `former_parents` from `since` until `until`, one parent at a time and never a
loop on any day; an organisation read gives its group as owned on the day read (`group`) and as
owned at each decision (`group_when_decided`); merges, their undo and the record exchange keep
the periods; the page says them in words."""

import json
from typing import Any

from app.vocab import Role
from tests.conftest import Api
from tests.record.test_merge_undo import export, last_merge, undo
from tests.record.test_merges import merge
from tests.web_helpers import make_user, post_form, sign_in


def _fine(
    api: Api, regulator: dict[str, Any], reference: str, day: str, amount: str, org: dict[str, Any]
) -> Any:
    return api.decision(
        regulator["id"],
        reference=reference,
        issued_on=day,
        kind="fine",
        penalty_amount=amount,
        penalty_currency="EUR",
        organisations=[{"organisation_id": org["id"], "role": "respondent"}],
    )


def _group(api: Api) -> dict[str, Any]:
    """Meta since 2004; Instagram bought in April 2012 (fined in 2011, before, and in 2022);
    Oculus owned from 2014 until sold on 2020-06-01 (fined in 2018 while owned, in 2021 after)."""
    dpc = api.regulator("Data Protection Commission", "IE")
    meta = api.organisation("Meta Platforms, Inc.", country="US")
    instagram = api.organisation("Instagram", parent_id=meta["id"], parent_since="2012-04-09")
    oculus = api.organisation(
        "Oculus", former_parents=[{"parent_id": meta["id"], "since": "2014-03-25", "until": "2020-06-01"}]
    )
    _fine(api, dpc, "IG-2011", "2011-05-01", "1000", instagram)
    _fine(api, dpc, "IG-2022", "2022-09-02", "405000000", instagram)
    _fine(api, dpc, "OC-2018", "2018-01-10", "20", oculus)
    _fine(api, dpc, "OC-2021", "2021-01-10", "300", oculus)
    d = api.decision(
        dpc["id"],
        reference="OC-ORDERS",
        issued_on="2019-02-01",
        organisations=[{"organisation_id": oculus["id"], "role": "respondent"}],
    )
    rec = api.recommendation(d["id"], oculus["id"], "Delete the data")
    api.assess(rec["id"], "complied", "2019-06-01")
    return {"meta": meta, "instagram": instagram, "oculus": oculus, "dpc": dpc}


def test_periods_are_read_back_as_written(api: Api) -> None:
    g = _group(api)
    instagram = api.ok(api.get(f"/api/v1/organisations/{g['instagram']['id']}"))
    assert (instagram["parent_id"], instagram["parent_since"]) == (g["meta"]["id"], "2012-04-09")
    assert instagram["former_parents"] == []
    oculus = api.ok(api.get(f"/api/v1/organisations/{g['oculus']['id']}"))
    assert oculus["parent_id"] is None and oculus["parent_since"] is None
    assert oculus["former_parents"] == [
        {"parent_id": g["meta"]["id"], "since": "2014-03-25", "until": "2020-06-01"}
    ]


def test_a_group_as_owned_now_and_as_owned_at_each_decision(api: Api) -> None:
    g = _group(api)
    meta = api.ok(api.get(f"/api/v1/organisations/{g['meta']['id']}"))
    # Now: Meta and Instagram; every Instagram decision counts, Oculus's none.
    now = meta["group"]
    assert now["organisation_count"] == 2 and now["decision_count"] == 2
    assert now["penalties"] == {"EUR": "405001000.00"}
    assert now["recommendation_counts"] == {}
    # At each decision: Instagram's 2022 fine (not its 2011 one), Oculus's 2018 fine and its
    # 2019 orders (not its 2021 fine).
    then = meta["group_when_decided"]
    assert then["organisation_count"] == 3 and then["decision_count"] == 3
    assert then["penalties"] == {"EUR": "405000020.00"}
    assert then["recommendation_counts"] == {"complied": 1} and then["complied_share"] == 1.0
    # As of 2019: Oculus was part of the group, Instagram too; Instagram's 2011 fine counts
    # as owned then, not as owned at its decision.
    old = api.ok(api.get(f"/api/v1/organisations/{g['meta']['id']}", params={"as_of": "2019-12-31"}))
    assert old["group"]["organisation_count"] == 3
    assert old["group"]["penalties"] == {"EUR": "1020.00"} and old["group"]["decision_count"] == 3
    assert old["group_when_decided"]["penalties"] == {"EUR": "20.00"}
    assert old["group_when_decided"]["decision_count"] == 2
    # Before Instagram was bought, it was not in the group either way.
    older = api.ok(api.get(f"/api/v1/organisations/{g['meta']['id']}", params={"as_of": "2012-01-01"}))
    assert (
        older["group"]["organisation_count"] == 1 and older["group_when_decided"]["organisation_count"] == 1
    )


def test_one_parent_at_a_time_and_never_a_loop(api: Api) -> None:
    g = _group(api)
    url = f"/api/v1/organisations/{g['oculus']['id']}"

    def refused(body: dict[str, Any]) -> list[str]:
        response = api.patch(url, body, headers=api.current(url))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        return [e["field"] for e in response.json()["errors"]]

    other = api.organisation("Other")
    # Two periods sharing a day.
    assert refused(
        {
            "former_parents": [
                {"parent_id": g["meta"]["id"], "since": "2014-03-25", "until": "2020-06-01"},
                {"parent_id": other["id"], "since": "2020-01-01", "until": "2021-01-01"},
            ]
        }
    ) == ["former_parents.1"]
    # The current parent since a day a former period still covers.
    assert refused({"parent_id": other["id"], "parent_since": "2019-01-01"}) == ["parent_since"]
    # Until before since; a day without a parent; a parent that is not there.
    assert refused(
        {"former_parents": [{"parent_id": g["meta"]["id"], "since": "2020-06-01", "until": "2014-03-25"}]}
    ) == ["former_parents.0.until"]
    assert refused({"parent_since": "2020-07-01"}) == ["parent_since"]
    assert refused({"former_parents": [{"parent_id": 999999, "until": "2020-01-01"}]}) == [
        "former_parents.0.parent_id"
    ]
    # A loop on some days: Meta under Oculus over 2015, while Oculus was under Meta.
    meta_url = f"/api/v1/organisations/{g['meta']['id']}"
    loop = api.patch(
        meta_url,
        {"former_parents": [{"parent_id": g["oculus"]["id"], "since": "2015-01-01", "until": "2016-01-01"}]},
        headers=api.current(meta_url),
    )
    assert loop.status_code == 422 and [e["field"] for e in loop.json()["errors"]] == [
        "former_parents.0.parent_id"
    ]
    # The same after Oculus was sold is no loop: periods that share no day.
    fine = api.patch(
        meta_url,
        {"former_parents": [{"parent_id": g["oculus"]["id"], "since": "2021-01-01", "until": "2022-01-01"}]},
        headers=api.current(meta_url),
    )
    assert fine.status_code == 200, fine.text
    # Nothing half-written by the refusals: Oculus's period as it was.
    assert api.ok(api.get(url))["former_parents"] == [
        {"parent_id": g["meta"]["id"], "since": "2014-03-25", "until": "2020-06-01"}
    ]
    # A former parent cannot be deleted while the record names it.
    gone = api.delete(meta_url, headers=api.current(meta_url))
    assert gone.status_code == 409 and "former subsidiaries" in gone.text


def test_another_parent_forgets_the_old_ones_day(api: Api) -> None:
    g = _group(api)
    url = f"/api/v1/organisations/{g['instagram']['id']}"
    other = api.organisation("Other")
    moved = api.ok(api.patch(url, {"parent_id": other["id"]}, headers=api.current(url)))
    assert moved["parent_id"] == other["id"] and moved["parent_since"] is None
    alone = api.ok(api.patch(url, {"parent_id": None}, headers=api.current(url)))
    assert alone["parent_id"] is None and alone["parent_since"] is None


def test_merges_and_their_undo_keep_the_periods(api: Api) -> None:
    g = _group(api)
    dup = api.organisation("Meta Platforms Inc")
    # A former subsidiary of the duplicate becomes the kept record's.
    whatsapp = api.organisation(
        "WhatsApp", former_parents=[{"parent_id": dup["id"], "since": "2014-10-06", "until": "2016-01-01"}]
    )
    before = export(api)
    api.ok(merge(api, "organisations", dup["id"], g["meta"]["id"]))
    read = api.ok(api.get(f"/api/v1/organisations/{whatsapp['id']}"))
    assert read["former_parents"] == [
        {"parent_id": g["meta"]["id"], "since": "2014-10-06", "until": "2016-01-01"}
    ]
    entry = last_merge(api)
    assert entry["moved"]["former_subsidiaries"] == [whatsapp["id"]]
    assert undo(api, entry["id"]).status_code == 200
    assert export(api) == before


def test_the_record_exchange_keeps_the_periods(api: Api, other_api: Api) -> None:
    g = _group(api)
    exported = api.get("/api/v1/export").content
    imported = other_api.client.post("/api/v1/import", content=exported, headers=other_api.auth(Role.admin))
    assert imported.status_code == 200, imported.text
    for key in ("instagram", "oculus", "meta"):
        a = api.ok(api.get(f"/api/v1/organisations/{g[key]['id']}"))
        b = other_api.ok(other_api.get(f"/api/v1/organisations/{g[key]['id']}"))
        for field in ("parent_id", "parent_since", "former_parents", "group", "group_when_decided"):
            assert a[field] == b[field], (key, field)
    assert other_api.get("/api/v1/export").content == exported


def test_a_file_whose_parents_overlap_or_loop_is_refused(api: Api, other_api: Api) -> None:
    g = _group(api)
    original = api.get("/api/v1/export").json()
    index = {o["id"]: i for i, o in enumerate(original["organisations"])}

    def refused(changes: dict[int, list[dict[str, Any]]]) -> set[str]:
        exported = json.loads(json.dumps(original))
        for org_id, former in changes.items():
            exported["organisations"][index[org_id]]["former_parents"] = former
        response = other_api.client.post("/api/v1/import", json=exported, headers=other_api.auth(Role.admin))
        assert response.status_code == 422, response.text
        assert other_api.ok(other_api.get("/api/v1/organisations"))["items"] == []
        return {e["field"] for e in response.json()["errors"]}

    # Instagram under Oculus over 2012, when it was already Meta's (since April 2012).
    overlap = {
        g["instagram"]["id"]: [{"parent_id": g["oculus"]["id"], "since": "2012-01-01", "until": "2013-01-01"}]
    }
    assert refused(overlap) == {f"organisations[{index[g['instagram']['id']]}].parent_since"}
    # Meta under Oculus over 2016, while Oculus was Meta's: a loop, named on both.
    loop = {g["meta"]["id"]: [{"parent_id": g["oculus"]["id"], "since": "2016-01-01", "until": "2017-01-01"}]}
    assert refused(loop) == {
        f"organisations[{index[g['meta']['id']]}].former_parents.0.parent_id",
        f"organisations[{index[g['oculus']['id']]}].former_parents.0.parent_id",
    }


def test_the_page_says_the_periods_and_both_group_readings(api: Api) -> None:
    g = _group(api)
    oculus = " ".join(api.get(f"/organisations/{g['oculus']['id']}").text.split())
    assert (
        "Formerly part of" in oculus
        and "Meta Platforms, Inc.</a> (from 2014-03-25 until 2020-06-01)" in oculus
    )
    instagram = " ".join(api.get(f"/organisations/{g['instagram']['id']}").text.split())
    assert "Meta Platforms, Inc.</a> since 2012-04-09" in instagram
    meta = " ".join(api.get(f"/organisations/{g['meta']['id']}").text.split())
    assert "Its group: 2 organisations" in meta and "As owned at each decision" in meta
    assert "of 3 organisations that belonged at some time" in meta
    assert "Former subsidiaries</dt><dd><a" in meta
    assert "Oculus</a> (from 2014-03-25 until 2020-06-01)" in meta


def test_the_form_sets_the_day_and_keeps_the_former_parents(api: Api) -> None:
    g = _group(api)
    sign_in(api.client, make_user(api.db))
    path = f"/organisations/{g['oculus']['id']}/edit"
    sent = post_form(
        api.client,
        path,
        {
            "name": "Oculus VR",
            "kind": "company",
            "parent_id": str(g["meta"]["id"]),
            "parent_since": "2020-06-01",
        },
    )
    assert sent.status_code == 303, sent.text
    read = api.ok(api.get(f"/api/v1/organisations/{g['oculus']['id']}"))
    assert (read["name"], read["parent_id"], read["parent_since"]) == (
        "Oculus VR",
        g["meta"]["id"],
        "2020-06-01",
    )
    assert read["former_parents"] == [
        {"parent_id": g["meta"]["id"], "since": "2014-03-25", "until": "2020-06-01"}
    ]
    assert 'value="2020-06-01"' in api.client.get(path).text
    # A day the former period covers: refused beside the field, nothing written.
    bad = post_form(
        api.client,
        path,
        {
            "name": "Oculus",
            "kind": "company",
            "parent_id": str(g["meta"]["id"]),
            "parent_since": "2019-01-01",
        },
    )
    assert bad.status_code == 422 and "one parent at a time" in bad.text and 'value="2019-01-01"' in bad.text
    assert api.ok(api.get(f"/api/v1/organisations/{g['oculus']['id']}"))["name"] == "Oculus VR"

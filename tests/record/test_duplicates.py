"""The same act recorded twice, and the same party under two names: each match rule, on
create (API, page), in a CSV import, and in the possible-duplicates list."""

import datetime as dt
import io
import tomllib
from decimal import Decimal
from typing import Any

import pytest

from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from app.services.record import duplicates, name_keys
from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.web_helpers import fast_passwords, make_user, post_form, sign_in  # noqa: F401

D = dt.date(2022, 5, 18)


def facts(id: int | None, **kw: Any) -> duplicates.Facts:
    base: dict[str, Any] = {
        "reference": "ICO MPN (2022)",
        "issued_on": D,
        "regulators": frozenset({"information commissioners office"}),
        "respondents": frozenset({"clearview ai"}),
        "penalty": (Decimal("7552800"), "GBP"),
    }
    return duplicates.Facts(id, **(base | kw))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Clearview AI Inc.", "clearview ai"),
        ("Clearview AI, Inc.", "clearview ai"),
        ("Clearview AI", "clearview ai"),
        ("  CLEARVIEW   ai inc ", "clearview ai"),
        ("Vodafone España, S.A.U.", "vodafone espana sau"),
        ("Google LLC", "google"),
        ("Inc.", "inc"),  # a name that is only a legal form keeps it
    ],
)
def test_name_key_ignores_case_punctuation_and_legal_form(name: str, key: str) -> None:
    assert name_keys.name_key(name) == key


def test_reference_key_ignores_case_blanks_and_punctuation() -> None:
    assert name_keys.reference_key("CNIL SAN-2022-019") == name_keys.reference_key(" cnil san 2022/019 ")
    assert name_keys.reference_key("SAN-2022-019") != name_keys.reference_key("SAN-2022-020")


def test_each_match_rule() -> None:
    old = facts(1)
    # Same regulator, respondent, day and penalty: the same act.
    same_penalty = duplicates.compare(facts(None, reference="other ref"), old)
    assert same_penalty is not None and same_penalty.exact and "same penalty" in same_penalty.reason
    # Same reference once normalised, whatever the penalty: the same act.
    same_ref = duplicates.compare(facts(None, reference="ico mpn 2022", penalty=None), old)
    assert same_ref is not None and same_ref.exact and "same reference" in same_ref.reason
    # A different amount in the same currency (Eni's two fines of one day): near.
    near = duplicates.compare(facts(None, reference="x", penalty=(Decimal("9000000"), "GBP")), old)
    assert near is not None and near.kind == "near"
    assert near.reason.endswith("(GBP 9,000,000.00 and GBP 7,552,800.00)")
    # The penalty in another currency (the GDPR tracker's EUR for the ICO's GBP), whatever
    # the amount: one act, the other figure a reported amount.
    for amount in ("9000000", "7552800"):
        other_currency = duplicates.compare(facts(None, reference="x", penalty=(Decimal(amount), "EUR")), old)
        assert other_currency is not None and other_currency.kind == "currency"
        assert "penalty in another currency" in other_currency.reason
    # Without a penalty on one side there is no currency to compare: near.
    no_penalty = duplicates.compare(facts(None, reference="x", penalty=None), old)
    assert no_penalty is not None and no_penalty.kind == "near"
    # Any of regulator, respondent or day different: no match at all.
    assert duplicates.compare(facts(None, regulators=frozenset({"cnil"})), old) is None
    assert duplicates.compare(facts(None, respondents=frozenset({"acme"})), old) is None
    assert duplicates.compare(facts(None, issued_on=dt.date(2022, 5, 19)), old) is None
    # Neither has a penalty and the references differ: nothing to say they are one.
    assert duplicates.compare(facts(None, reference="a", penalty=None), facts(1, penalty=None)) is None
    # Candidates: the exact match wins over a near one.
    candidates = duplicates.Candidates()
    candidates.add(facts(5, penalty=(Decimal("1"), "EUR"), reference="five"))
    candidates.add(facts(7, reference="seven"))
    found = candidates.match(facts(None, reference="new"))
    assert found is not None and (found.decision_id, found.kind) == (7, "exact")
    # ... and one in another currency over a near one.
    candidates = duplicates.Candidates()
    candidates.add(facts(5, penalty=(Decimal("1"), "GBP"), reference="five"))
    candidates.add(facts(7, penalty=(Decimal("1"), "EUR"), reference="seven"))
    found = candidates.match(facts(None, reference="new"))
    assert found is not None and (found.decision_id, found.kind) == (7, "currency")


def ico_setup(api: Api) -> dict[str, Any]:
    ico = api.regulator("Information Commissioner's Office", "GB", short_name="ICO")
    org = api.organisation("Clearview AI, Inc.", aliases=["Clearview"])
    decision = api.decision(
        ico["id"],
        reference="ICO MPN",
        issued_on="2022-05-18",
        organisations=[{"organisation_id": org["id"], "role": "respondent"}],
        penalty_amount="7552800",
        penalty_currency="GBP",
    )
    return {"regulator": ico["id"], "organisation": org["id"], "decision": decision["id"]}


def body(ids: dict[str, Any], reference: str, amount: str, currency: str) -> dict[str, Any]:
    return {
        "reference": reference,
        "title": "Fine",
        "kind": "fine",
        "issued_on": "2022-05-18",
        "regulators": [{"regulator_id": ids["regulator"], "role": "lead"}],
        "organisations": [{"organisation_id": ids["organisation"], "role": "respondent"}],
        "penalty_amount": amount,
        "penalty_currency": currency,
    }


def test_api_refuses_the_same_act_and_warns_of_a_near_one(api: Api) -> None:
    ids = ico_setup(api)
    before = table_counts(api.db)
    same = api.post("/api/v1/decisions", body(ids, "privacyaffairs #1", "7552800", "GBP"))
    assert same.status_code == 409
    problem = same.json()
    assert problem["detail"].startswith(f"This act is already in the record as decision {ids['decision']}:")
    assert problem["errors"][0]["field"] == "reference"
    assert table_counts(api.db) == before
    # The same act with its penalty in another currency: refused too, naming the decision
    # that can keep that figure as a reported amount.
    other_currency = api.post("/api/v1/decisions", body(ids, "privacyaffairs #1055", "9000000", "EUR"))
    assert other_currency.status_code == 409, other_currency.text
    assert "in another currency" in other_currency.json()["detail"]
    assert "reported_amounts" in other_currency.json()["detail"]
    assert table_counts(api.db) == before
    near = api.post("/api/v1/decisions", body(ids, "privacyaffairs #1055", "9000000", "GBP"))
    assert near.status_code == 201
    assert near.headers["possible-duplicate-of"] == str(ids["decision"])
    assert near.headers["link"] == f'</api/v1/decisions/{ids["decision"]}>; rel="duplicate"'
    # Unrelated: no warning.
    other = api.post("/api/v1/decisions", body(ids, "other", "1", "EUR") | {"issued_on": "2022-05-19"})
    assert other.status_code == 201 and "possible-duplicate-of" not in other.headers
    # The list: the pair, with its reason; the page of the new decision warns of it.
    listed = api.ok(api.get("/api/v1/duplicates", headers=api.auth(Role.editor)))
    [pair] = listed["decisions"]
    assert pair["kind"] == "near" and [r["id"] for r in pair["records"]] == [
        ids["decision"],
        near.json()["id"],
    ]
    assert pair["reason"] == (
        "same regulator, respondent and issue date (2022-05-18) but a different penalty "
        "(GBP 9,000,000.00 and GBP 7,552,800.00)"
    )
    page = api.get(f"/decisions/{near.json()['id']}").text
    assert 'id="possible-duplicates"' in page and "different penalty" in page
    assert api.get("/api/v1/duplicates", headers=api.auth(Role.reader)).status_code == 403


def test_page_refuses_the_same_act(api: Api) -> None:
    ids = ico_setup(api)
    sign_in(api.client, make_user(api.db))
    form = {
        "reference": "Another ref",
        "title": "Fine",
        "kind": "fine",
        "issued_on": "2022-05-18",
        "summary": "",
        "regulators.0.regulator_id": str(ids["regulator"]),
        "regulators.0.role": "lead",
        "organisations.0.organisation_id": str(ids["organisation"]),
        "organisations.0.role": "respondent",
        "penalty_amount": "7552800",
        "penalty_currency": "GBP",
        "provisions": "",
        "tags": "",
    }
    refused = post_form(api.client, "/decisions/new", form)
    assert refused.status_code == 409
    assert f"This act is already in the record as decision {ids['decision']}" in refused.text
    created = post_form(
        api.client, "/decisions/new", form | {"penalty_amount": "9000000", "penalty_currency": "GBP"}
    )
    assert created.status_code == 303
    page = api.client.get(created.headers["location"]).text
    assert f"decision {ids['decision']}</a>: same regulator, respondent and issue date" in page


def test_organisation_pairs_same_key_and_near_names(api: Api) -> None:
    a = api.organisation("Clearview AI, Inc.")
    b = api.organisation("Clearview AI")
    c = api.organisation("Deutsche Telekom AG")
    d = api.organisation("Deutsche Telecom")
    api.organisation("BBC")
    api.organisation("BBVA")
    api.organisation("Unknown (privacyaffairs GDPR fine #95)")  # differ only in numbers: two parties
    api.organisation("Unknown (privacyaffairs GDPR fine #96)")
    listed = api.ok(api.get("/api/v1/duplicates", headers=api.auth(Role.editor)))["organisations"]
    pairs = {(p["kind"], tuple(r["id"] for r in p["records"])) for p in listed}
    assert pairs == {("exact", (a["id"], b["id"])), ("near", (c["id"], d["id"]))}
    assert api.get("/duplicates", follow_redirects=False).status_code == 303  # to sign in
    sign_in(api.client, make_user(api.db))
    page = api.get("/duplicates").text
    assert "Organisations (2 clusters, 2 pairs)" in page and "Decisions (0 clusters, 0 pairs)" in page
    assert "(&#39;clearview ai&#39;)" in page and "near names (" in page


def test_csv_import_matches_the_same_act_and_lists_a_near_one(api: Api) -> None:
    ids = ico_setup(api)
    spec = mapping.parse(
        tomllib.loads(
            """
format = "findings-mapping"
version = 1
[decision]
reference = { column = "ref" }
title = { value = "Fine" }
kind = { value = "fine" }
issued_on = { column = "date", format = "%Y-%m-%d" }
penalty_amount = { column = "amount" }
penalty_currency = { column = "currency" }
[regulator]
name = { column = "authority" }
jurisdiction = { value = "GB" }
[organisation]
name = { column = "controller" }
"""
        )
    )
    csv = (
        "ref,date,amount,currency,authority,controller\n"
        "T-1,2022-05-18,7552800,GBP,ICO,Clearview AI Inc.\n"
        "T-2,2022-05-18,9000000,GBP,Information Commissioner's Office,Clearview\n"
        "T-3,2022-05-19,9000000,EUR,ICO,Clearview\n"
        "T-4,2022-05-18,9000000,EUR,ICO,Clearview AI\n"
    )
    with api.db.transaction(actor="test") as session:
        report = csv_import.import_csv(session, spec, io.BytesIO(csv.encode()))
    assert (report.created, report.matched, report.rejected_count) == (2, 2, 0)
    assert [(d.row, d.reason.split(":")[0]) for d in report.duplicates] == [
        (2, f"matched decision {ids['decision']}"),
        (3, f"created, but possibly the same act as decision {ids['decision']}"),
        (5, f"matched (its amount kept as reported by this data set) decision {ids['decision']}"),
    ]
    assert report.as_dict()["duplicates"][0]["row"] == 2
    # One act counted once: the EUR figure is kept on the GBP decision, not as a decision.
    reported = [{"amount": "9000000.00", "currency": "EUR", "source": "CSV import: T-4"}]
    decision = api.ok(api.get(f"/api/v1/decisions/{ids['decision']}"))
    assert decision["reported_amounts"] == reported
    assert (decision["penalty_amount"], decision["penalty_currency"]) == ("7552800.00", "GBP")
    # Imported again: nothing new, the figure kept once.
    before = table_counts(api.db)
    with api.db.transaction(actor="test") as session:
        again = csv_import.import_csv(session, spec, io.BytesIO(csv.encode()))
    assert (again.created, again.matched) == (0, 4)
    assert api.ok(api.get(f"/api/v1/decisions/{ids['decision']}"))["reported_amounts"] == reported
    assert table_counts(api.db) == before


def test_one_days_matches_are_those_of_the_whole_record(api: Api) -> None:
    """`decision_matches` reads one day's decisions with their parties (two statements); what
    it finds is what the rule finds over every recorded decision, matched by name, short name
    and alias as well as by id, for an act with no match, a near one and an exact one."""
    ids = ico_setup(api)
    # The same regulator under another record (its short name), the same party by its alias.
    ico2 = api.regulator("ICO", "GB")
    alias = api.organisation("Clearview")
    other = api.organisation("Someone Else Ltd")
    same_day = [
        api.post("/api/v1/decisions", body(ids, "near", "9000000", "GBP")),
        # Refused on create as the same act: recorded on another day, then moved to this one.
        api.post(
            "/api/v1/decisions",
            body(ids, "ICO-MPN", "1", "EUR")
            | {"issued_on": "2022-05-17"}
            | {"regulators": [{"regulator_id": ico2["id"], "role": "lead"}]}
            | {"organisations": [{"organisation_id": alias["id"], "role": "respondent"}]},
        ),
        api.post(
            "/api/v1/decisions",
            body(ids, "unrelated", "5", "EUR")
            | {"organisations": [{"organisation_id": other["id"], "role": "respondent"}]},
        ),
        api.post(
            "/api/v1/decisions", body(ids, "another day", "7552800", "GBP") | {"issued_on": "2022-05-19"}
        ),
    ]
    assert all(r.status_code == 201 for r in same_day), [r.text for r in same_day]
    moved = f"/api/v1/decisions/{same_day[1].json()['id']}"
    assert api.patch(moved, {"issued_on": "2022-05-18"}).status_code == 200
    with api.db.session() as session:
        whole = duplicates.load(session)
        found: dict[int, list[duplicates.Match]] = {}
        for day in whole.by_day.values():
            for me in day:
                assert me.id is not None
                expected = sorted(
                    (m for old in day if old.id != me.id and (m := duplicates.compare(me, old))),
                    key=lambda m: m.order,
                )
                found[me.id] = duplicates.decision_matches(session, me.id)
                assert found[me.id] == expected
        assert duplicates.decision_matches(session, 10**9) == []
    near, by_other_names, unrelated, another_day = (r.json()["id"] for r in same_day)
    assert [(m.kind, m.decision_id) for m in found[near]] == [
        ("currency", by_other_names),
        ("near", ids["decision"]),
    ]
    assert [(m.kind, m.decision_id) for m in found[by_other_names]] == [
        ("exact", ids["decision"]),
        ("currency", near),
    ]
    assert found[unrelated] == [] and found[another_day] == []

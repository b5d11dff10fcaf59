"""Penalties paid (issue 26): a penalty's obligation to pay (a recommendation of kind `payment`)
made with the penalty and following it; its assessments say paid, partly paid (with the amount),
unpaid or contested; `penalties_paid` in every read that totals penalties, as of any day, on the
pages in words and in the CSVs. Unknown stays unknown: no assessment is "no payment recorded"."""

from typing import Any

import pytest
from sqlalchemy import select, text

from app import migrate
from app.db import make_engine
from app.models import Assessment, Recommendation
from app.services import compliance
from app.vocab import Role
from tests.conftest import Api
from tests.reporting.test_csv_export import read_csv


def _fined(api: Api) -> dict[str, Any]:
    """Clearview fined EUR 20,000,000 by the Garante (2022-03-09) and GBP 7,552,800 by the ICO
    (2022-05-23), both in one case; the Garante's decision also orders it to delete its data."""
    garante = api.regulator("Garante", "IT")
    ico = api.regulator("Information Commissioner's Office", "GB")
    clearview = api.organisation("Clearview AI, Inc.", country="US")
    case = api.ok(api.post("/api/v1/cases", {"title": "Clearview"}), 201)
    respondent = [{"organisation_id": clearview["id"], "role": "respondent"}]
    eur = api.decision(
        garante["id"],
        reference="IT-1",
        issued_on="2022-03-09",
        kind="fine",
        penalty_amount="20000000",
        penalty_currency="EUR",
        organisations=respondent,
        case_id=case["id"],
    )
    gbp = api.decision(
        ico["id"],
        reference="ICO",
        issued_on="2022-05-23",
        kind="fine",
        penalty_amount="7552800",
        penalty_currency="GBP",
        organisations=respondent,
        case_id=case["id"],
    )
    order = api.recommendation(eur["id"], clearview["id"], "Delete the data", kind="order")
    return {
        "garante": garante,
        "ico": ico,
        "org": clearview,
        "case": case,
        "eur": eur,
        "gbp": gbp,
        "order": order,
    }


def _paid(api: Api, url: str, **params: str) -> Any:
    return api.ok(api.get(url, params=params))["penalties_paid"]


def _errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json()["errors"]]


def test_a_penalty_makes_its_payment_obligation_which_follows_it(api: Api) -> None:
    r = _fined(api)
    eur = r["eur"]
    assert eur["payment_id"] is not None and eur["penalty_paid"] is None
    payment = api.ok(api.get(f"/api/v1/recommendations/{eur['payment_id']}"))
    assert payment["kind"] == "payment" and payment["decision_id"] == eur["id"]
    assert payment["organisation_id"] == r["org"]["id"] and payment["status"] == "pending"
    assert payment["text"] == "Pay the penalty of EUR 20,000,000.00."
    # PATCHing the penalty updates it.
    url = f"/api/v1/decisions/{eur['id']}"
    api.ok(api.patch(url, {"penalty_amount": "15000000.5", "penalty_currency": "usd"}))
    payment = api.ok(api.get(f"/api/v1/recommendations/{eur['payment_id']}"))
    assert payment["text"] == "Pay the penalty of USD 15,000,000.50."
    # Removing the penalty removes an obligation nothing was recorded of.
    read = api.ok(api.patch(url, {"penalty_amount": None, "penalty_currency": None}))
    assert read["payment_id"] is None and read["penalty_paid"] is None
    assert api.get(f"/api/v1/recommendations/{eur['payment_id']}").status_code == 404
    # A penalty with no respondent has no one to owe it: an obligation comes with the respondent.
    reg = r["garante"]["id"]
    alone = api.decision(reg, reference="IT-9", penalty_amount="10", penalty_currency="EUR")
    assert alone["payment_id"] is None
    read = api.ok(
        api.patch(
            f"/api/v1/decisions/{alone['id']}",
            {"organisations": [{"organisation_id": r["org"]["id"], "role": "respondent"}]},
        )
    )
    assert read["payment_id"] is not None
    # The audit log has each of them.
    log = api.ok(api.get("/api/v1/audit", params={"entity": "recommendation"}, headers=api.auth(Role.admin)))
    actions = [(e["action"], e["entity_id"]) for e in log["items"]]
    assert ("create", eur["payment_id"]) in actions and ("delete", eur["payment_id"]) in actions


def test_nothing_recorded_of_a_payment_is_lost(api: Api) -> None:
    r = _fined(api)
    eur = r["eur"]
    api.assess(eur["payment_id"], "not_complied", "2022-06-01", source_url="https://example.org/unpaid")
    url = f"/api/v1/decisions/{eur['id']}"
    refused = api.patch(url, {"penalty_amount": None, "penalty_currency": None})
    assert _errors(refused) == ["penalty_amount"]
    assert "1 assessment(s)" in refused.json()["detail"]
    refused = api.patch(url, {"organisations": []})
    assert _errors(refused) == ["organisations"]
    # Nor is a penalty lowered below what was recorded paid.
    api.assess(eur["payment_id"], "partially_complied", "2022-07-01", amount_paid="1000")
    lowered = api.patch(url, {"penalty_amount": "999.99", "penalty_currency": "EUR"})
    assert _errors(lowered) == ["penalty_amount"]
    assert api.patch(url, {"penalty_amount": "1000", "penalty_currency": "EUR"}).status_code == 200
    api.ok(api.patch(url, {"penalty_amount": "20000000", "penalty_currency": "EUR"}))
    api.assess(eur["payment_id"], "not_complied", "2022-07-02")
    # Nothing was written.
    read = api.ok(api.get(url))
    assert read["penalty_amount"] == "20000000.00" and read["penalty_paid"] == "0.00"
    assert len(read["organisations"]) == 1
    # A decision whose payment is recorded is not deleted (its history would go); one whose
    # payment nothing was said of is, with its obligation.
    assert api.delete(url).status_code == 409
    gbp = r["gbp"]
    assert api.delete(f"/api/v1/decisions/{gbp['id']}").status_code == 204
    assert api.get(f"/api/v1/recommendations/{gbp['payment_id']}").status_code == 404


def test_a_payment_obligation_is_made_with_its_penalty_only(api: Api) -> None:
    r = _fined(api)
    eur, org = r["eur"], r["org"]
    made = api.post(
        "/api/v1/recommendations",
        {"decision_id": eur["id"], "organisation_id": org["id"], "text": "Pay", "kind": "payment"},
    )
    assert _errors(made) == ["kind"]
    assert _errors(api.patch(f"/api/v1/recommendations/{r['order']['id']}", {"kind": "payment"})) == ["kind"]
    payment_url = f"/api/v1/recommendations/{eur['payment_id']}"
    assert _errors(api.patch(payment_url, {"kind": "order"})) == ["kind"]
    assert _errors(api.patch(payment_url, {"text": "Pay less"})) == ["text"]
    # Its due day is its own.
    assert api.ok(api.patch(payment_url, {"due_on": "2022-06-09"}))["due_on"] == "2022-06-09"
    assert api.delete(payment_url, role=Role.admin).status_code == 409


@pytest.mark.parametrize(
    ("target", "body", "field"),
    [
        ("payment", {"status": "partially_complied", "amount_paid": "20000000.01"}, "amount_paid"),
        ("payment", {"status": "partially_complied"}, "amount_paid"),
        ("payment", {"status": "complied", "amount_paid": "10"}, "amount_paid"),
        ("payment", {"status": "not_complied", "amount_paid": "0"}, "amount_paid"),
        ("payment", {"status": "partially_complied", "amount_paid": "-1"}, "amount_paid"),
        ("payment", {"status": "partially_complied", "amount_paid": "ten"}, "amount_paid"),
        ("order", {"status": "partially_complied", "amount_paid": "10"}, "amount_paid"),
    ],
)
def test_bad_amounts_paid_are_422_naming_the_field(
    api: Api, target: str, body: dict[str, Any], field: str
) -> None:
    r = _fined(api)
    rec_id = r["eur"]["payment_id"] if target == "payment" else r["order"]["id"]
    url = f"/api/v1/recommendations/{rec_id}/assessments"
    refused = api.post(url, {"assessed_on": "2022-06-01", "asserted_by": "regulator", **body})
    assert field in [e["field"].split(".")[-1] for e in refused.json()["errors"]], refused.text
    assert refused.status_code == 422
    assert api.ok(api.get(url)) == []


def test_penalties_paid_in_every_read_as_of_any_day(api: Api) -> None:
    r = _fined(api)
    org = f"/api/v1/organisations/{r['org']['id']}"
    reads = [
        org,
        f"/api/v1/regulators/{r['garante']['id']}",
        f"/api/v1/cases/{r['case']['id']}",
        "/api/v1/stats",
    ]
    # Unknown stays unknown: no currency named, never 0.
    for url in reads:
        assert _paid(api, url) == {}, url
    assert api.ok(api.get(org))["group"]["penalties_paid"] == {}
    eur = r["eur"]["payment_id"]
    api.assess(eur, "not_complied", "2022-06-01", source_url="https://example.org/1")
    for url in reads:
        assert _paid(api, url) == {"EUR": "0.00"}, url
    api.assess(
        eur, "partially_complied", "2023-01-10", amount_paid="5000000", source_url="https://example.org/2"
    )
    api.assess(r["gbp"]["payment_id"], "complied", "2024-02-01", source_url="https://example.org/3")
    assert _paid(api, org) == {"EUR": "5000000.00", "GBP": "7552800.00"}
    assert _paid(api, "/api/v1/stats") == {"EUR": "5000000.00", "GBP": "7552800.00"}
    assert api.ok(api.get(org))["group"]["penalties_paid"] == {"EUR": "5000000.00", "GBP": "7552800.00"}
    # As of a day: the assessments dated up to it.
    assert _paid(api, org, as_of="2023-12-31") == {"EUR": "5000000.00"}
    assert _paid(api, org, as_of="2022-12-31") == {"EUR": "0.00"}
    assert _paid(api, org, as_of="2022-05-31") == {}
    # A decision's read says what its penalty's payment says, as of a day too.
    decision = f"/api/v1/decisions/{r['eur']['id']}"
    assert api.ok(api.get(decision))["penalty_paid"] == "5000000.00"
    assert api.ok(api.get(decision, params={"as_of": "2022-12-31"}))["penalty_paid"] == "0.00"
    assert api.ok(api.get(decision, params={"as_of": "2022-05-31"}))["penalty_paid"] is None
    # Contested says nothing was paid; paid again (complied) is the whole penalty.
    api.assess(eur, "disputed", "2024-03-01", source_url="https://example.org/4")
    assert _paid(api, org)["EUR"] == "0.00"
    api.assess(eur, "complied", "2024-04-01", source_url="https://example.org/5")
    assert _paid(api, org)["EUR"] == "20000000.00"
    # Countries, by either country.
    for by, code in (("regulator", "IT"), ("organisation", "US")):
        items = api.ok(api.get("/api/v1/countries", params={"by": by}))["items"]
        [country] = [c for c in items if c["jurisdiction"] == code]
        assert country["penalties_paid"]["EUR"] == "20000000.00", by


def test_a_suggestion_counts_for_nothing(api: Api) -> None:
    r = _fined(api)
    payment_id = r["eur"]["payment_id"]
    made = api.assess(payment_id, "partially_complied", "2022-06-01", amount_paid="100")
    # Made a machine reading below its import's bar: a suggestion, awaiting an editor.
    with api.db.transaction() as session:
        session.execute(
            text(
                "UPDATE assessments SET origin = 'classified', counted = :f, review = 'awaiting' "
                "WHERE id = :id"
            ),
            {"id": made["id"], "f": False},
        )
        rec = session.get(Recommendation, payment_id)
        assert rec is not None
        compliance.refresh_recommendation(session, rec)
    org = f"/api/v1/organisations/{r['org']['id']}"
    assert _paid(api, org) == {} and _paid(api, org, as_of="2023-01-01") == {}


def test_payments_are_their_own_line_not_in_compliance(api: Api) -> None:
    r = _fined(api)
    api.assess(r["eur"]["payment_id"], "not_complied", "2022-06-01")
    api.assess(r["order"]["id"], "complied", "2022-07-01")
    decision = api.ok(api.get(f"/api/v1/decisions/{r['eur']['id']}"))
    assert decision["compliance"] == "complied" and decision["recommendation_counts"] == {"complied": 1}
    as_of = api.ok(api.get(f"/api/v1/decisions/{r['eur']['id']}", params={"as_of": "2023-01-01"}))
    assert as_of["compliance"] == "complied" and as_of["recommendation_counts"] == {"complied": 1}
    org = api.ok(api.get(f"/api/v1/organisations/{r['org']['id']}"))
    assert org["recommendation_counts"] == {"complied": 1} and org["compliance"] == "complied"
    stats = api.ok(api.get("/api/v1/stats"))
    assert stats["recommendations"] == 1
    # Lists show them with the rest, and alone.
    listed = api.ok(api.get("/api/v1/recommendations", params={"kind": "payment"}))["items"]
    assert sorted(i["id"] for i in listed) == sorted([r["eur"]["payment_id"], r["gbp"]["payment_id"]])
    assert len(api.ok(api.get("/api/v1/recommendations"))["items"]) == 3


def test_pages_say_paid_or_no_payment_recorded(api: Api) -> None:
    r = _fined(api)
    org_page = api.get(f"/organisations/{r['org']['id']}").text
    assert org_page.count("No payment recorded.") >= 2  # its EUR and GBP lines
    assert "Paid:" not in org_page
    decision_page = api.get(f"/decisions/{r['eur']['id']}").text
    assert 'id="decision-paid"' in decision_page and "No payment recorded" in decision_page
    api.assess(
        r["eur"]["payment_id"],
        "partially_complied",
        "2023-01-10",
        amount_paid="5000000",
        source_url="https://e.org",
    )
    org_page = api.get(f"/organisations/{r['org']['id']}").text
    assert "Paid: 5,000,000.00 EUR." in org_page
    decision_page = api.get(f"/decisions/{r['eur']['id']}").text
    assert "5,000,000.00 EUR" in decision_page.split('id="decision-paid"')[1].split("</dd>")[0]
    rec_page = api.get(f"/recommendations/{r['eur']['payment_id']}").text
    assert "Amount paid: <strong>5,000,000.00</strong>" in rec_page
    assert "Paid: 5,000,000.00 EUR." in api.get("/").text
    assert "paid 5,000,000.00 EUR" in api.get("/countries").text
    assert (
        "Paid: 0.00 EUR"
        not in api.get(f"/organisations/{r['org']['id']}", params={"as_of": "2022-05-01"}).text
    )


def test_csv_exports_carry_what_was_paid(api: Api) -> None:
    r = _fined(api)
    api.assess(r["eur"]["payment_id"], "partially_complied", "2023-01-10", amount_paid="5000000")
    rows = {row["reference"]: row for row in read_csv(api, "/api/v1/export/decisions.csv")}
    assert rows["IT-1"]["penalty_paid"] == "5000000.00" and rows["ICO"]["penalty_paid"] == ""
    assert read_csv(api, "/api/v1/export/decisions.csv", as_of="2022-12-31")[0]["penalty_paid"] == ""
    payments = read_csv(api, "/api/v1/export/recommendations.csv", kind="payment")
    assert sorted(p["decision_reference"] for p in payments) == ["ICO", "IT-1"]
    [italy] = [c for c in read_csv(api, "/api/v1/export/countries.csv") if c["jurisdiction"] == "IT"]
    assert italy["penalties_paid_EUR"] == "5000000.00"


def test_the_stored_read_follows_each_amount_paid(api: Api) -> None:
    r = _fined(api)
    payment_id, url = r["eur"]["payment_id"], f"/api/v1/decisions/{r['eur']['id']}"
    api.assess(payment_id, "partially_complied", "2023-01-10", amount_paid="100")
    assert api.ok(api.get(url))["penalty_paid"] == "100.00"
    # The same status and day, another amount: the stored read changes too.
    api.assess(payment_id, "partially_complied", "2023-01-10", amount_paid="250")
    assert api.ok(api.get(url))["penalty_paid"] == "250.00"
    listed = api.ok(api.get("/api/v1/decisions", params={"organisation_id": r["org"]["id"]}))["items"]
    assert {d["reference"]: d["penalty_paid"] for d in listed} == {"IT-1": "250.00", "ICO": None}


def test_a_merge_keeps_one_obligation_per_penalty(api: Api) -> None:
    from tests.record.test_merge_undo import last_merge, undo
    from tests.record.test_merges import ico_pair, merge

    ids = ico_pair(api)
    kept = api.ok(api.get(f"/api/v1/decisions/{ids['gbp']}"))
    gone = api.ok(api.get(f"/api/v1/decisions/{ids['eur']}"))
    # The merged decision's obligation, with a payment recorded, is not merged away.
    made = api.assess(gone["payment_id"], "not_complied", "2022-06-01")
    refused = merge(api, "decisions", ids["eur"], ids["gbp"])
    assert _errors(refused) == ["into"]
    with api.db.transaction() as session:
        session.execute(text("DELETE FROM assessments WHERE id = :id"), {"id": made["id"]})
    merged = api.ok(merge(api, "decisions", ids["eur"], ids["gbp"]))
    payments = api.ok(
        api.get("/api/v1/recommendations", params={"kind": "payment", "decision_id": ids["gbp"]})
    )
    assert [p["id"] for p in payments["items"]] == [kept["payment_id"]] == [merged["payment_id"]]
    assert api.get(f"/api/v1/recommendations/{gone['payment_id']}").status_code == 404
    # Undone, the merged decision has its obligation again (tests/record/test_merge_undo.py
    # proves the whole export is as before).
    assert undo(api, last_merge(api)["id"]).status_code == 200
    assert api.ok(api.get(f"/api/v1/decisions/{ids['eur']}"))["payment_id"] == gone["payment_id"]


# -- The migration ---------------------------------------------------------------------------

BEFORE = "7c4e2a9d1f38"
NOW = "2026-12-01 10:00:00"


def test_the_migration_gives_existing_penalties_their_obligations(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, BEFORE)
    engine = make_engine(empty_database_url)
    stamps = {"version": 1, "created_at": NOW, "updated_at": NOW}
    try:
        with engine.begin() as conn:
            for org_id, name in ((1, "Acme"), (2, "Other")):
                conn.execute(
                    text(
                        "INSERT INTO organisations (id, name, kind, version, created_at, updated_at) "
                        "VALUES (:id, :name, 'company', :version, :created_at, :updated_at)"
                    ),
                    stamps | {"id": org_id, "name": name},
                )
            # A fine with two respondents, one without a respondent, one without a penalty.
            for d_id, amount in ((1, "1234.5"), (2, "10"), (3, None)):
                conn.execute(
                    text(
                        "INSERT INTO decisions (id, reference, title, kind, issued_on, compliance, "
                        "penalty_amount, penalty_currency, version, created_at, updated_at) VALUES (:id, "
                        ":ref, 'D', 'fine', '2020-01-01', 'none', :amount, :currency, :version, "
                        ":created_at, :updated_at)"
                    ),
                    stamps | {"id": d_id, "ref": f"D-{d_id}", "amount": amount, "currency": amount and "EUR"},
                )
            for d_id, org_id, role, position in (
                (1, 2, "complainant", 0),
                (1, 1, "respondent", 1),
                (1, 2, "x", 9),
            ):
                if role == "x":
                    continue
                conn.execute(
                    text(
                        "INSERT INTO decision_organisations (decision_id, organisation_id, role, position) "
                        "VALUES (:d, :o, :role, :position)"
                    ),
                    {"d": d_id, "o": org_id, "role": role, "position": position},
                )
        migrate.upgrade(empty_database_url)
        with engine.begin() as conn:
            rows = conn.execute(
                text("SELECT decision_id, organisation_id, kind, status, text FROM recommendations")
            ).all()
            assert [tuple(r) for r in rows] == [
                (1, 1, "payment", "pending", "Pay the penalty of EUR 1,234.50.")
            ]
            audit = conn.execute(text("SELECT action, entity FROM audit_log")).all()
            assert [tuple(a) for a in audit] == [("create", "recommendation")]
            # One obligation per decision, kept by the database.
            with pytest.raises(Exception, match=r"(?i)unique"):
                conn.execute(
                    text(
                        "INSERT INTO recommendations (decision_id, organisation_id, text, kind, status, "
                        "version, created_at, updated_at) "
                        "VALUES (1, 2, 'Pay', 'payment', 'pending', 1, :now, :now)"
                    ),
                    {"now": NOW},
                )
    finally:
        engine.dispose()


def test_assessment_amounts_only_as_the_rules_say(api: Api) -> None:
    """The stored row holds the amount as given (the rule's Python twin agrees with SQL)."""
    from decimal import Decimal

    from app.services.record import payments

    r = _fined(api)
    api.assess(r["eur"]["payment_id"], "partially_complied", "2023-01-10", amount_paid="7.5")
    with api.db.transaction(write=False) as session:
        history = list(
            session.scalars(select(Assessment).where(Assessment.recommendation_id == r["eur"]["payment_id"]))
        )
        assert payments.paid_of(history, Decimal("20000000")) == Decimal("7.50")
        assert (
            payments.paid_of(history, Decimal("20000000"), as_of=__import__("datetime").date(2023, 1, 9))
            is None
        )
        found = payments.paid_by_decision(session, [r["eur"]["id"], r["gbp"]["id"]], as_of=None)
        assert found == {r["eur"]["id"]: Decimal("7.50"), r["gbp"]["id"]: None}


def test_a_whole_record_import_holds_payments_to_the_rules(api: Api, other_api: Api) -> None:
    import json

    r = _fined(api)
    api.assess(r["eur"]["payment_id"], "partially_complied", "2023-01-10", amount_paid="5")
    api.assess(r["order"]["id"], "complied", "2023-01-10")
    record = json.loads(api.get("/api/v1/export").content)

    def refused_fields(changed: dict[str, Any]) -> set[str]:
        response = other_api.client.post(
            "/api/v1/import", content=json.dumps(changed).encode(), headers=other_api.auth(Role.admin)
        )
        assert response.status_code == 422, response.text
        return {e["field"] for e in response.json()["errors"]}

    # Two obligations for one penalty.
    twice = next(x for x in record["recommendations"] if x["kind"] == "payment") | {"id": 999}
    changed = record | {"recommendations": [*record["recommendations"], twice]}
    assert refused_fields(changed) == {f"recommendations[{len(record['recommendations'])}].kind"}
    # An amount paid on an order's assessment.
    place, order_assessment = next(
        (i, a) for i, a in enumerate(record["assessments"]) if a["recommendation_id"] == r["order"]["id"]
    )
    assessments = list(record["assessments"])
    assessments[place] = order_assessment | {"amount_paid": "1.00"}
    assert refused_fields(record | {"assessments": assessments}) == {f"assessments[{place}].amount_paid"}
    # As exported, it imports.
    assert (
        other_api.client.post(
            "/api/v1/import", content=json.dumps(record).encode(), headers=other_api.auth(Role.admin)
        ).status_code
        == 200
    )

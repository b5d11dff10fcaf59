"""One act counted once (issue 26, part 2): a decision's penalty as other sources report it
in other currencies (`reported_amounts`), read and written through the API, refused in the
decision's own currency (422 naming the field), shown on its page in words, kept in the
stored read and the audit log, and never added to any total."""

import csv
import io
from typing import Any

from sqlalchemy import select

from app.models import AuditEntry
from tests.conftest import Api

REPORTED = [{"amount": "9000000.00", "currency": "EUR", "source": "GDPR Enforcement Tracker"}]


def ico_fine(api: Api, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    ico = api.regulator("Information Commissioner's Office", "GB", short_name="ICO")
    org = api.organisation("Clearview AI, Inc.")
    decision = api.decision(
        ico["id"],
        reference="ICO MPN",
        issued_on="2022-05-18",
        kind="fine",
        organisations=[{"organisation_id": org["id"], "role": "respondent"}],
        penalty_amount="7552800",
        penalty_currency="GBP",
        **extra,
    )
    return decision, org


def test_reported_amounts_are_read_and_written_and_never_totalled(api: Api) -> None:
    decision, org = ico_fine(
        api, reported_amounts=[{"amount": "9000000", "currency": "eur", "source": "GDPR Enforcement Tracker"}]
    )
    assert decision["reported_amounts"] == REPORTED
    url = f"/api/v1/decisions/{decision['id']}"
    assert api.ok(api.get(url))["reported_amounts"] == REPORTED
    # Never in a total: the organisation, the regulator and the stats count GBP alone.
    organisation = api.ok(api.get(f"/api/v1/organisations/{org['id']}"))
    assert organisation["penalties"] == {"GBP": "7552800.00"}
    assert organisation["penalties_in_force"] == {"GBP": "7552800.00"}
    regulator = api.ok(api.get(f"/api/v1/regulators/{decision['regulators'][0]['regulator_id']}"))
    assert regulator["penalties"] == {"GBP": "7552800.00"}
    stats = api.ok(api.get("/api/v1/stats"))
    assert stats["penalties"] == {"GBP": "7552800.00"}
    # PATCH replaces the list; the stored read follows at once; the audit log has both sides.
    usd = [{"amount": "10100000.00", "currency": "USD", "source": "Someone else"}]
    patched = api.ok(api.patch(url, {"reported_amounts": REPORTED + usd}))
    assert patched["reported_amounts"] == REPORTED + usd
    assert api.ok(api.get(url))["reported_amounts"] == REPORTED + usd
    assert api.ok(api.get(f"/api/v1/decisions?organisation_id={org['id']}"))["items"][0][
        "reported_amounts"
    ] == (REPORTED + usd)
    with api.db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "decision").order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.before is not None and entry.after is not None
        assert entry.before["reported_amounts"] == REPORTED
        assert entry.after["reported_amounts"] == REPORTED + usd
    # Edits that leave it out keep it; an empty list removes them.
    assert api.ok(api.patch(url, {"title": "Monetary penalty"}))["reported_amounts"] == REPORTED + usd
    assert api.ok(api.patch(url, {"reported_amounts": []}))["reported_amounts"] == []


def test_a_reported_amount_in_the_decisions_own_currency_is_refused(api: Api) -> None:
    decision, _ = ico_fine(api)
    regulator_id = decision["regulators"][0]["regulator_id"]
    body = {
        "reference": "ICO MPN 2",
        "title": "Fine",
        "kind": "fine",
        "issued_on": "2023-01-01",
        "regulators": [{"regulator_id": regulator_id, "role": "lead"}],
        "penalty_amount": "100",
        "penalty_currency": "GBP",
        "reported_amounts": [{"amount": "120", "currency": "gbp", "source": "A tracker"}],
    }
    refused = api.post("/api/v1/decisions", body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    [error] = refused.json()["errors"]
    assert error["field"].startswith("reported_amounts")
    assert "GBP, the decision's own penalty currency" in error["message"]
    # On an edit: against the decision as it stands (its currency, or the one sent).
    url = f"/api/v1/decisions/{decision['id']}"
    before = api.ok(api.get(url))
    bad = api.patch(url, {"reported_amounts": [{"amount": "1", "currency": "GBP", "source": "x"}]})
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["reported_amounts.0.currency"]
    api.ok(api.patch(url, {"reported_amounts": REPORTED}))
    bad = api.patch(url, {"penalty_amount": "9000000", "penalty_currency": "EUR"})
    assert bad.status_code == 422, bad.text
    assert [e["field"] for e in bad.json()["errors"]] == ["reported_amounts.0.currency"]
    after = api.ok(api.get(url))
    assert after["penalty_currency"] == "GBP" and after["reported_amounts"] == REPORTED
    assert after["version"] == before["version"] + 1  # the one good edit, nothing else
    # A negative amount and an unknown field are refused naming them.
    bad = api.patch(url, {"reported_amounts": [{"amount": "-1", "currency": "EUR", "source": "x"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "reported_amounts.0.amount"
    bad = api.patch(url, {"reported_amounts": [{"amount": "1", "currency": "EUR", "source": "x", "by": 1}]})
    assert bad.status_code == 422


def test_the_decision_page_says_it_in_words(api: Api) -> None:
    decision, _ = ico_fine(api, reported_amounts=REPORTED)
    page = api.get(f"/decisions/{decision['id']}").text
    assert "also reported as EUR 9,000,000 by GDPR Enforcement Tracker" in page
    assert "never added to a total" in page
    # The decisions CSV has it in a column of its own, beside the penalty's.
    rows = list(
        csv.DictReader(io.StringIO(api.get("/api/v1/export/decisions.csv").content.decode("utf-8-sig")))
    )
    [row] = [r for r in rows if r["id"] == str(decision["id"])]
    assert (row["penalty_amount"], row["penalty_currency"]) == ("7552800.00", "GBP")
    assert row["reported_amounts"] == "9000000.00 EUR"
    plain, _ = ico_fine_other(api)
    assert "also reported as" not in api.get(f"/decisions/{plain['id']}").text


def ico_fine_other(api: Api) -> tuple[dict[str, Any], None]:
    regulator = api.regulator("Garante per la protezione dei dati personali", "IT")
    return api.decision(
        regulator["id"], reference="GPDP 1", penalty_amount="20000000", penalty_currency="EUR"
    ), None

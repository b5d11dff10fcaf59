"""Money as it stands: every total of penalties comes imposed, in force (leaving out what was
overturned) and, of that, contested (under appeal or remitted), as of any day, in the reads of
organisations, regulators, cases and the stats, on the pages in words, and in the CSV."""

from typing import Any

from tests.conftest import Api
from tests.reporting.test_csv_export import read_csv


def _record(api: Api) -> dict[str, Any]:
    """The ICO's GBP fine (overturned in 2023, remitted in 2025), the Garante's EUR fine (in
    force) and a second EUR fine under appeal since 2022-07-01, all on Clearview in one case; a
    fine where Clearview is only a client does not count for it."""
    ico = api.regulator("Information Commissioner's Office", "GB")
    tribunal = api.regulator("First-tier Tribunal", "GB", kind="tribunal")
    garante = api.regulator("Garante", "IT")
    clearview = api.organisation()
    other = api.organisation("Acme")
    case = api.ok(api.post("/api/v1/cases", {"title": "Clearview"}), 201)
    respondent = [{"organisation_id": clearview["id"], "role": "respondent"}]

    def fine(
        regulator: dict[str, Any], reference: str, on: str, amount: str, currency: str, **extra: Any
    ) -> Any:
        return api.decision(
            regulator["id"],
            reference=reference,
            issued_on=on,
            kind="fine",
            penalty_amount=amount,
            penalty_currency=currency,
            case_id=case["id"],
            **({"organisations": respondent} | extra),
        )

    gbp = fine(ico, "ICO", "2022-05-23", "7552800", "GBP")
    eur = fine(garante, "IT-1", "2022-03-09", "20000000", "EUR")
    appealed = fine(garante, "IT-2", "2022-06-01", "100.50", "EUR")
    fine(
        garante,
        "IT-3",
        "2022-06-02",
        "5",
        "EUR",
        organisations=[
            {"organisation_id": other["id"], "role": "respondent"},
            {"organisation_id": clearview["id"], "role": "client"},
        ],
    )

    def ruling(reference: str, on: str, target: dict[str, Any], relation: str) -> Any:
        return api.decision(
            tribunal["id"],
            reference=reference,
            issued_on=on,
            kind="judgment",
            related=[{"decision_id": target["id"], "relation": relation}],
        )

    ruling("FTT", "2023-10-17", gbp, "overturns")
    ruling("UT", "2025-10-07", gbp, "remits")
    ruling("APPEAL", "2022-07-01", appealed, "appeal_of")
    return {"ico": ico, "garante": garante, "clearview": clearview, "case": case, "eur": eur, "gbp": gbp}


def _money(read: dict[str, Any]) -> tuple[Any, Any, Any]:
    return read["penalties"], read["penalties_in_force"], read["penalties_contested"]


def test_totals_are_imposed_in_force_and_contested_as_of_any_day(api: Api) -> None:
    r = _record(api)
    org = f"/api/v1/organisations/{r['clearview']['id']}"

    # Now: the GBP fine was remitted (in force, contested); one EUR fine is under appeal.
    assert _money(api.ok(api.get(org))) == (
        {"EUR": "20000100.50", "GBP": "7552800.00"},
        {"EUR": "20000100.50", "GBP": "7552800.00"},
        {"EUR": "100.50", "GBP": "7552800.00"},
    )
    # In 2024 the GBP fine stood overturned: imposed, not in force, not contested.
    assert _money(api.ok(api.get(org, params={"as_of": "2024-01-01"}))) == (
        {"EUR": "20000100.50", "GBP": "7552800.00"},
        {"EUR": "20000100.50", "GBP": "0.00"},
        {"EUR": "100.50", "GBP": "0.00"},
    )
    # In 2022, before the tribunal and before the appeal, everything imposed was in force.
    assert _money(api.ok(api.get(org, params={"as_of": "2022-06-15"}))) == (
        {"EUR": "20000100.50", "GBP": "7552800.00"},
        {"EUR": "20000100.50", "GBP": "7552800.00"},
        {"EUR": "0.00", "GBP": "0.00"},
    )
    # The list carries the same figures as the item.
    listed = api.ok(api.get("/api/v1/organisations", params={"as_of": "2024-01-01"}))["items"]
    assert _money(next(o for o in listed if o["id"] == r["clearview"]["id"]))[1] == {
        "EUR": "20000100.50",
        "GBP": "0.00",
    }

    ico = f"/api/v1/regulators/{r['ico']['id']}"
    assert _money(api.ok(api.get(ico, params={"as_of": "2024-01-01"}))) == (
        {"GBP": "7552800.00"},
        {"GBP": "0.00"},
        {"GBP": "0.00"},
    )
    garante = api.ok(api.get(f"/api/v1/regulators/{r['garante']['id']}"))
    assert _money(garante) == ({"EUR": "20000105.50"}, {"EUR": "20000105.50"}, {"EUR": "100.50"})

    case = api.ok(api.get(f"/api/v1/cases/{r['case']['id']}", params={"as_of": "2024-01-01"}))
    assert _money(case) == (
        {"EUR": "20000105.50", "GBP": "7552800.00"},
        {"EUR": "20000105.50", "GBP": "0.00"},
        {"EUR": "100.50", "GBP": "0.00"},
    )
    listed_case = api.ok(api.get("/api/v1/cases"))["items"][0]
    assert _money(listed_case)[2] == {"EUR": "100.50", "GBP": "7552800.00"}

    stats = api.ok(api.get("/api/v1/stats", params={"as_of": "2024-01-01"}))
    assert _money(stats) == (
        {"EUR": "20000105.50", "GBP": "7552800.00"},
        {"EUR": "20000105.50", "GBP": "0.00"},
        {"EUR": "100.50", "GBP": "0.00"},
    )
    assert _money(api.ok(api.get("/api/v1/stats")))[2] == {"EUR": "100.50", "GBP": "7552800.00"}


def test_a_decision_says_how_its_penalty_stands(api: Api) -> None:
    r = _record(api)
    url = f"/api/v1/decisions/{r['gbp']['id']}"
    assert api.ok(api.get(url))["penalty_standing"] == "contested"
    assert api.ok(api.get(url, params={"as_of": "2024-01-01"}))["penalty_standing"] == "overturned"
    assert api.ok(api.get(url, params={"as_of": "2023-01-01"}))["penalty_standing"] == "in_force"
    assert api.ok(api.get(f"/api/v1/decisions/{r['eur']['id']}"))["penalty_standing"] == "in_force"
    # A decision without a penalty has no penalty standing.
    rulings = api.ok(api.get("/api/v1/decisions", params={"kind": "judgment"}))["items"]
    assert rulings and all(d["penalty_standing"] is None for d in rulings)

    # The CSV has it as a column, as of the day asked for.
    rows = {
        row["reference"]: row for row in read_csv(api, "/api/v1/export/decisions.csv", as_of="2024-01-01")
    }
    assert rows["ICO"]["penalty_standing"] == "overturned"
    assert rows["IT-2"]["penalty_standing"] == "contested"
    assert rows["IT-1"]["penalty_standing"] == "in_force"
    assert rows["FTT"]["penalty_standing"] == ""


def test_pages_say_the_standing_of_the_money_in_words(api: Api) -> None:
    r = _record(api)
    page = api.get(f"/organisations/{r['clearview']['id']}", params={"as_of": "2024-01-01"})
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "7,552,800.00 GBP</strong> imposed: none in force, 7,552,800.00 GBP overturned." in text
    assert (
        "20,000,100.50 EUR</strong> imposed: all in force "
        "(of which 100.50 EUR contested: under appeal or remitted)." in text
    )
    now = " ".join(api.get(f"/regulators/{r['ico']['id']}").text.split())
    assert "7,552,800.00 GBP</strong> imposed: all in force (of which 7,552,800.00 GBP contested" in now
    case = " ".join(api.get(f"/cases/{r['case']['id']}", params={"as_of": "2024-01-01"}).text.split())
    assert "7,552,800.00 GBP overturned." in case
    dashboard = " ".join(api.get("/", params={"as_of": "2024-01-01"}).text.split())
    assert "7,552,800.00 GBP overturned." in dashboard
    listing = " ".join(api.get("/organisations", params={"as_of": "2024-01-01"}).text.split())
    assert '7,552,800.00 GBP <span class="muted">(0.00 GBP in force)</span>' in listing
    decision = " ".join(api.get(f"/decisions/{r['gbp']['id']}").text.split())
    assert '7,552,800.00 GBP <span class="muted">(in force, contested: remitted)</span>' in decision
    then = " ".join(api.get(f"/decisions/{r['gbp']['id']}", params={"as_of": "2024-01-01"}).text.split())
    assert "(overturned: no longer in force)" in then

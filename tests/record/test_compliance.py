"""The compliance vocabulary and standing rules, through HTTP, and now versus as of a date."""

import itertools
from collections import Counter

import pytest

from app.services.compliance import derive_compliance, derive_standing
from app.vocab import Compliance, Relation, Standing, Status
from tests.conftest import Api


@pytest.fixture
def setup(api: Api) -> dict[str, int]:
    reg = api.regulator()
    org = api.organisation()
    return {"regulator": reg["id"], "organisation": org["id"]}


def make_decision(api: Api, setup: dict[str, int], statuses: list[str], reference: str = "D-1") -> dict:
    decision = api.decision(setup["regulator"], reference=reference, issued_on="2021-02-03")
    for i, status in enumerate(statuses):
        rec = api.recommendation(decision["id"], setup["organisation"], text=f"R{i}")
        if status != "pending":
            api.assess(rec["id"], status, "2021-03-01")
    return api.ok(api.get(f"/api/v1/decisions/{decision['id']}"))


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], "none"),
        (["withdrawn"], "none"),
        (["complied", "complied"], "complied"),
        (["complied", "withdrawn"], "complied"),
        (["pending", "pending"], "pending"),
        (["complied", "not_complied", "not_complied"], "partially_complied"),  # Clearview in Canada
        (["partially_complied", "not_complied"], "partially_complied"),
        (["pending", "complied"], "partially_complied"),
        (["not_complied", "disputed"], "not_complied"),
        (["pending", "not_complied"], "not_complied"),
        (["disputed"], "disputed"),
        (["disputed", "disputed"], "disputed"),  # the ICO's two orders, contested in court
        (["pending", "disputed"], "disputed"),
        (["disputed", "withdrawn"], "disputed"),
        (["complied", "disputed"], "partially_complied"),
        (["disputed", "not_complied", "pending"], "not_complied"),
    ],
)
def test_decision_compliance(api: Api, setup: dict[str, int], statuses: list[str], expected: str) -> None:
    decision = make_decision(api, setup, statuses)
    assert decision["compliance"] == expected
    # The list filter (SQL) agrees with the read (derived), now and as of a date.
    for params in ({}, {"as_of": "2022-01-01"}):
        found = api.ok(api.get("/api/v1/decisions", params={"compliance": expected, **params}))["items"]
        assert [d["id"] for d in found] == [decision["id"]]
        assert api.ok(api.get(f"/api/v1/decisions/{decision['id']}", params=params))["compliance"] == expected


def test_python_rule_matches_sql_rule_for_every_mix(api: Api, setup: dict[str, int]) -> None:
    """The rule exists once in Python and once as a SQL CASE: they agree on every mix of up to 3."""
    import datetime as dt

    from app.schemas.decision import DecisionCreate
    from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
    from app.services.record import decision_edits, recommendations

    mixes = [
        list(m)
        for n in range(4)
        for m in itertools.combinations_with_replacement([s.value for s in Status], n)
    ]
    ids = {}
    with api.db.transaction(actor="test") as session:
        for i, mix in enumerate(mixes):
            decision = decision_edits.create(
                session,
                data=DecisionCreate(
                    reference=f"MIX-{i}",
                    title="Mix",
                    kind="order",
                    issued_on=dt.date(2021, 2, 3),
                    regulators=[{"regulator_id": setup["regulator"]}],
                ),
            )
            for status in mix:
                rec = recommendations.create(
                    session,
                    data=RecommendationCreate(
                        decision_id=decision.id, organisation_id=setup["organisation"], text=status
                    ),
                )
                if status != "pending":
                    recommendations.add_assessment(
                        session,
                        recommendation_id=rec.id,
                        data=AssessmentCreate(
                            status=status, assessed_on=dt.date(2021, 3, 1), asserted_by="regulator"
                        ),
                    )
            ids[decision.id] = derive_compliance(Counter(Status(s) for s in mix))
    for as_of in (None, "2022-01-01"):
        for compliance in Compliance:
            params = {"compliance": compliance.value, "limit": 500}
            if as_of:
                params["as_of"] = as_of
            found = {d["id"] for d in api.ok(api.get("/api/v1/decisions", params=params))["items"]}
            assert found == {i for i, c in ids.items() if c == compliance}, (compliance, as_of)
    # Before any assessment, every mix with a recommendation other than withdrawn reads pending.
    early = api.ok(
        api.get("/api/v1/decisions", params={"compliance": "pending", "as_of": "2021-02-03", "limit": 500})
    )["items"]
    assert len(early) == sum(1 for mix in mixes if mix)


def test_status_is_latest_assessment_by_day_then_creation(api: Api, setup: dict[str, int]) -> None:
    decision = api.decision(setup["regulator"])
    rec = api.recommendation(decision["id"], setup["organisation"])
    assert rec["status"] == "pending" and rec["last_assessed_on"] is None
    api.assess(rec["id"], "not_complied", "2021-03-01")
    api.assess(rec["id"], "complied", "2021-06-01")
    # Recorded later but dated earlier: history, not the latest status.
    api.assess(rec["id"], "disputed", "2021-04-01")
    now = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}"))
    assert now["status"] == "complied" and now["last_assessed_on"] == "2021-06-01"
    # Same day: the one recorded last wins.
    api.assess(rec["id"], "partially_complied", "2021-06-01")
    assert api.ok(api.get(f"/api/v1/recommendations/{rec['id']}"))["status"] == "partially_complied"
    history = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))
    assert [a["assessed_on"] for a in history] == ["2021-03-01", "2021-04-01", "2021-06-01", "2021-06-01"]
    assert all(a["recorded_by"] == "editor" for a in history)


def test_as_of_before_and_after_each_assessment(api: Api, setup: dict[str, int]) -> None:
    decision = api.decision(setup["regulator"], issued_on="2021-02-03")
    rec = api.recommendation(decision["id"], setup["organisation"], due_on="2021-06-30")
    # An assessment may predate its decision (Clearview left Canada before the report).
    api.assess(rec["id"], "partially_complied", "2020-07-31")
    api.assess(rec["id"], "not_complied", "2021-03-01")
    api.assess(rec["id"], "complied", "2022-01-15")

    def at(day: str) -> dict:
        return api.ok(api.get(f"/api/v1/recommendations/{rec['id']}", params={"as_of": day}))

    assert at("2021-02-03")["status"] == "partially_complied"
    assert at("2021-02-28")["status"] == "partially_complied"
    assert at("2021-03-01")["status"] == "not_complied"
    assert at("2021-03-01")["last_assessed_on"] == "2021-03-01"
    assert at("2021-06-30")["overdue"] is False  # due that day, not yet past
    assert at("2021-07-01")["overdue"] is True
    assert at("2022-01-14")["status"] == "not_complied"
    assert at("2022-01-15")["status"] == "complied"
    assert at("2022-01-15")["overdue"] is False
    # Before its decision was issued, neither the decision nor the recommendation is on record.
    assert api.get(f"/api/v1/recommendations/{rec['id']}", params={"as_of": "2021-02-02"}).status_code == 404
    assert api.get(f"/api/v1/decisions/{decision['id']}", params={"as_of": "2021-02-02"}).status_code == 404
    listed = api.ok(api.get("/api/v1/recommendations", params={"as_of": "2021-02-02"}))
    assert listed["items"] == []
    history = api.ok(
        api.get(f"/api/v1/recommendations/{rec['id']}/assessments", params={"as_of": "2021-12-31"})
    )
    assert [a["status"] for a in history] == ["partially_complied", "not_complied"]
    # Decision compliance follows, as of each day.
    for day, expected in [
        ("2021-02-03", "partially_complied"),
        ("2021-03-01", "not_complied"),
        ("2022-01-15", "complied"),
    ]:
        got = api.ok(api.get(f"/api/v1/decisions/{decision['id']}", params={"as_of": day}))
        assert got["compliance"] == expected, day


def test_overdue(api: Api, setup: dict[str, int]) -> None:
    decision = api.decision(setup["regulator"])
    late = api.recommendation(decision["id"], setup["organisation"], text="late", due_on="2022-01-01")
    done = api.recommendation(decision["id"], setup["organisation"], text="done", due_on="2022-01-01")
    gone = api.recommendation(decision["id"], setup["organisation"], text="gone", due_on="2022-01-01")
    future = api.recommendation(decision["id"], setup["organisation"], text="future", due_on="2999-01-01")
    undated = api.recommendation(decision["id"], setup["organisation"], text="undated")
    api.assess(done["id"], "complied", "2021-12-01")
    api.assess(gone["id"], "withdrawn", "2021-12-01")
    overdue = api.ok(api.get("/api/v1/recommendations", params={"overdue": "true"}))["items"]
    assert [r["id"] for r in overdue] == [late["id"]]
    assert overdue[0]["overdue"] is True
    not_overdue = api.ok(api.get("/api/v1/recommendations", params={"overdue": "false"}))["items"]
    assert {r["id"] for r in not_overdue} == {done["id"], gone["id"], future["id"], undated["id"]}
    # As of a day before the due date, nothing was overdue.
    assert (
        api.ok(api.get("/api/v1/recommendations", params={"overdue": "true", "as_of": "2021-12-31"}))["items"]
        == []
    )


@pytest.mark.parametrize(
    ("relations", "expected"),
    [
        ([], "in_force"),
        (["appeal_of"], "under_appeal"),
        (["appeal_of", "upholds"], "upheld"),
        (["appeal_of", "overturns"], "overturned"),
        (["overturns", "remits"], "remitted"),
        (["follow_up_of"], "in_force"),
        (["enforces"], "in_force"),
        (["appeal_of", "enforces"], "under_appeal"),
    ],
)
def test_standing(api: Api, setup: dict[str, int], relations: list[str], expected: str) -> None:
    first = api.decision(setup["regulator"], reference="FIRST", issued_on="2020-01-01")
    for i, relation in enumerate(relations):
        api.decision(
            setup["regulator"],
            reference=f"LATER-{i}",
            issued_on=f"202{i + 1}-01-01",
            related=[{"decision_id": first["id"], "relation": relation}],
        )
    assert api.ok(api.get(f"/api/v1/decisions/{first['id']}"))["standing"] == expected
    assert derive_standing(Relation(r) for r in relations) == Standing(expected)


def test_appeal_chain_issued_overturned_remitted(api: Api, setup: dict[str, int]) -> None:
    """The UK fine on Clearview: issued 2022, overturned 2023, that ruling reversed and remitted 2025."""
    tribunal = api.regulator("First-tier Tribunal", "GB", kind="tribunal")["id"]
    upper = api.regulator("Upper Tribunal", "GB", kind="tribunal")["id"]
    fine = api.decision(
        setup["regulator"],
        reference="ICO-2022",
        issued_on="2022-05-18",
        kind="fine",
        penalty_amount="7552800",
        penalty_currency="GBP",
    )
    ftt = api.decision(
        tribunal,
        reference="FTT-2023",
        issued_on="2023-10-17",
        kind="judgment",
        related=[{"decision_id": fine["id"], "relation": "overturns"}],
    )
    api.decision(
        upper,
        reference="UT-2025",
        issued_on="2025-10-07",
        kind="judgment",
        related=[
            {"decision_id": ftt["id"], "relation": "overturns"},
            {"decision_id": fine["id"], "relation": "remits"},
        ],
    )

    def standing(decision_id: int, as_of: str | None = None) -> str:
        params = {"as_of": as_of} if as_of else {}
        return api.ok(api.get(f"/api/v1/decisions/{decision_id}", params=params))["standing"]

    assert standing(fine["id"], "2022-05-18") == "in_force"
    assert standing(fine["id"], "2023-10-16") == "in_force"
    assert standing(fine["id"], "2023-10-17") == "overturned"
    assert standing(fine["id"], "2025-10-06") == "overturned"
    assert standing(fine["id"]) == "remitted"
    assert standing(ftt["id"]) == "overturned"
    chain = api.ok(api.get(f"/api/v1/decisions/{fine['id']}"))
    assert [(r["reference"], r["relation"]) for r in chain["related_by"]] == [
        ("FTT-2023", "overturns"),
        ("UT-2025", "remits"),
    ]


def test_party_records(api: Api, setup: dict[str, int]) -> None:
    regulator, org = setup["regulator"], setup["organisation"]
    other_reg = api.regulator("Garante", "IT")["id"]
    client = api.organisation("RCMP", kind="law_enforcement")["id"]
    case = api.ok(api.post("/api/v1/cases", {"title": "Clearview scraping", "tags": ["biometrics"]}), 201)
    d1 = api.decision(
        regulator,
        reference="CA-1",
        issued_on="2021-02-03",
        case_id=case["id"],
        organisations=[
            {"organisation_id": org, "role": "respondent"},
            {"organisation_id": client, "role": "client"},
        ],
    )
    d2 = api.decision(
        other_reg,
        reference="IT-1",
        issued_on="2022-02-10",
        kind="fine",
        case_id=case["id"],
        penalty_amount=20_000_000,
        penalty_currency="EUR",
        organisations=[{"organisation_id": org, "role": "respondent"}],
    )
    r1 = api.recommendation(d1["id"], org)
    api.assess(r1["id"], "complied", "2021-03-01")
    r2 = api.recommendation(d2["id"], org)
    api.assess(r2["id"], "not_complied", "2022-06-01")

    record = api.ok(api.get(f"/api/v1/organisations/{org}"))
    assert record["decision_count"] == 2
    assert record["penalties"] == {"EUR": "20000000.00"}
    assert record["recommendation_counts"] == {"complied": 1, "not_complied": 1}
    assert record["compliance"] == "partially_complied"
    early = api.ok(api.get(f"/api/v1/organisations/{org}", params={"as_of": "2021-12-31"}))
    assert (early["decision_count"], early["penalties"], early["compliance"]) == (1, {}, "complied")
    assert api.ok(api.get(f"/api/v1/organisations/{client}"))["compliance"] == "none"

    assert api.ok(api.get(f"/api/v1/regulators/{other_reg}"))["compliance"] == "not_complied"
    assert api.ok(api.get(f"/api/v1/regulators/{other_reg}"))["penalties"] == {"EUR": "20000000.00"}
    # A regulator's record: today every link counts; as of a day, only decisions issued by then
    # and each status as of that day.
    api.decision(regulator, reference="CA-2", issued_on="2023-01-05")
    r3 = api.recommendation(d1["id"], org)
    api.assess(r3["id"], "disputed", "2024-01-01")
    now = api.ok(api.get(f"/api/v1/regulators/{regulator}"))
    assert (now["decision_count"], now["recommendation_counts"]) == (2, {"complied": 1, "disputed": 1})
    then = api.ok(api.get(f"/api/v1/regulators/{regulator}", params={"as_of": "2022-12-31"}))
    assert (then["decision_count"], then["recommendation_counts"]) == (1, {"complied": 1, "pending": 1})
    case_read = api.ok(api.get(f"/api/v1/cases/{case['id']}"))
    assert case_read["jurisdictions"] == ["CA", "IT"]
    assert case_read["decision_count"] == 2
    assert case_read["compliance"] == "partially_complied"

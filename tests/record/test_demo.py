"""The demo record and the issue's acceptance example."""

from app.services import demo
from tests.conftest import Api, table_counts


def load_demo(api: Api) -> None:
    with api.db.transaction(actor="test") as session:
        demo.load(session)


def clearview_id(api: Api) -> int:
    found = api.ok(api.get("/api/v1/organisations", params={"q": "Clearview"}))["items"]
    assert [o["name"] for o in found] == ["Clearview AI, Inc."]
    return found[0]["id"]


def test_canadian_decision_reads_partially_complied(api: Api) -> None:
    load_demo(api)
    org = clearview_id(api)
    page = api.ok(api.get("/api/v1/decisions", params={"organisation_id": org, "jurisdiction": "CA"}))
    [decision] = page["items"]
    assert decision["reference"] == "PIPEDA Findings #2021-001"
    assert decision["compliance"] == "partially_complied"
    assert decision["standing"] == "in_force"
    assert decision["recommendation_counts"] == {"complied": 1, "not_complied": 2}
    assert [r["role"] for r in decision["regulators"]] == ["lead", "joint", "joint", "joint"]
    assert {o["name"]: o["role"] for o in decision["organisations"]} == {
        "Clearview AI, Inc.": "respondent",
        "Royal Canadian Mounted Police": "client",
    }
    # A day before the report, it was not part of the record.
    before = api.ok(
        api.get(
            "/api/v1/decisions",
            params={"organisation_id": org, "as_of": "2021-02-02", "jurisdiction": "CA"},
        )
    )
    assert before == {"items": [], "next_cursor": None}
    # The whole Clearview record lists every decision, newest first.
    every = api.ok(api.get("/api/v1/decisions", params={"organisation_id": org}))["items"]
    assert [d["issued_on"] for d in every] == sorted((d["issued_on"] for d in every), reverse=True)
    assert len(every) == 8


def test_demo_twice_changes_nothing(api: Api) -> None:
    load_demo(api)
    counts = table_counts(api.db)
    load_demo(api)
    assert table_counts(api.db) == counts


def test_uk_appeal_chain(api: Api) -> None:
    load_demo(api)
    ico = api.ok(api.get("/api/v1/decisions", params={"q": "ICO MPN"}))["items"][0]
    assert ico["penalty_amount"] == "7552800.00" and ico["penalty_currency"] == "GBP"
    assert ico["standing"] == "remitted"
    assert [r["relation"] for r in ico["related_by"]] == ["overturns", "remits"]

    def standing(as_of: str) -> str:
        return api.ok(api.get(f"/api/v1/decisions/{ico['id']}", params={"as_of": as_of}))["standing"]

    assert standing("2022-06-01") == "in_force"
    assert standing("2024-01-01") == "overturned"
    assert standing("2025-10-07") == "remitted"


def test_ico_decision_reads_disputed_and_clearview_one_of_eight(api: Api) -> None:
    """The labels say what they mean: both ICO orders are contested in court; Clearview has
    complied with 1 of its 8 recommendations, and the counts and share stand beside it."""
    load_demo(api)
    ico = api.ok(api.get("/api/v1/decisions", params={"q": "ICO MPN"}))["items"][0]
    assert ico["compliance"] == "disputed"
    assert ico["recommendation_counts"] == {"disputed": 2}
    assert ico["complied_share"] == 0.0
    clearview = api.ok(api.get(f"/api/v1/organisations/{clearview_id(api)}"))
    assert clearview["compliance"] == "partially_complied"
    assert sum(clearview["recommendation_counts"].values()) == 8
    assert clearview["recommendation_counts"]["complied"] == 1
    assert clearview["complied_share"] == 0.125
    page = api.get(f"/organisations/{clearview['id']}").text
    assert "1 of 8 complied, " in page and "12.5% complied" in page
    # The disputed decisions are found by the list filter, now and as of a day.
    for params in ({}, {"as_of": "2025-12-31"}):
        found = api.ok(api.get("/api/v1/decisions", params={"compliance": "disputed", **params}))["items"]
        assert ico["id"] in {d["id"] for d in found}

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
            "/api/v1/decisions", params={"organisation_id": org, "as_of": "2021-02-02", "jurisdiction": "CA"}
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

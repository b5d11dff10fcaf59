"""Bad input: every case gets a 4xx problem+json that says what is wrong, and nothing is half-written."""

import json

import pytest

from tests.conftest import Api, table_counts


@pytest.fixture
def ids(api: Api) -> dict[str, int]:
    reg = api.regulator()
    org = api.organisation()
    decision = api.decision(reg["id"])
    rec = api.recommendation(decision["id"], org["id"])
    return {"regulator": reg["id"], "organisation": org["id"], "decision": decision["id"], "rec": rec["id"]}


def decision_body(ids: dict[str, int], **changes: object) -> dict:
    body = {
        "reference": "NEW-1",
        "title": "New",
        "kind": "order",
        "issued_on": "2022-01-01",
        "regulators": [{"regulator_id": ids["regulator"], "role": "lead"}],
        "organisations": [{"organisation_id": ids["organisation"], "role": "respondent"}],
        "findings": [{"text": f"Finding {i}", "outcome": "contravention"} for i in range(3)],
    }
    body.update(changes)
    return body


def problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status and body["detail"]
    return body


def fields(body: dict) -> set[str]:
    return {e["field"] for e in body.get("errors", [])}


BAD_DECISIONS = [
    ("unknown field", {"colour": "red"}, {"colour"}),
    ("wrong type", {"title": 42}, {"title"}),
    ("impossible date", {"issued_on": "2021-02-30"}, {"issued_on"}),
    ("not a date", {"issued_on": "yesterday"}, {"issued_on"}),
    ("unknown kind", {"kind": "decree"}, {"kind"}),
    ("unknown role", {"regulators": [{"regulator_id": 1, "role": "boss"}]}, {"regulators.0.role"}),
    ("id beyond 64 bits", {"case_id": 2**64}, {"case_id"}),
    ("negative id", {"case_id": -1}, {"case_id"}),
    ("NUL byte", {"title": "a\x00b"}, {"title"}),
    ("1 MB string", {"summary": "x" * 1_000_000}, {"summary"}),
    ("empty title", {"title": "   "}, {"title"}),
    ("penalty without currency", {"penalty_amount": "10"}, set()),
    ("bad currency", {"penalty_amount": "10", "penalty_currency": "euro"}, {"penalty_currency"}),
    ("negative penalty", {"penalty_amount": "-1", "penalty_currency": "EUR"}, {"penalty_amount"}),
    ("NaN penalty", {"penalty_amount": "NaN", "penalty_currency": "EUR"}, {"penalty_amount"}),
    ("no regulators", {"regulators": []}, {"regulators"}),
    ("bad source url", {"sources": [{"url": "javascript:alert(1)"}]}, {"sources.0.url"}),
    (
        "third finding invalid",
        {"findings": [{"text": "a"}, {"text": "b"}, {"text": "c", "outcome": "guilty"}]},
        {"findings.2.outcome"},
    ),
    ("related listed twice", {"related": [{"decision_id": 1, "relation": "appeal_of"}] * 2}, {"related"}),
]


@pytest.mark.parametrize(("case", "changes", "bad_fields"), BAD_DECISIONS, ids=[c[0] for c in BAD_DECISIONS])
def test_bad_decision_bodies(
    api: Api, ids: dict[str, int], case: str, changes: dict, bad_fields: set[str]
) -> None:
    before = table_counts(api.db)
    body = problem(api.post("/api/v1/decisions", decision_body(ids, **changes)), 422)
    assert bad_fields <= fields(body), body
    assert table_counts(api.db) == before


REFERENCES = [
    ("regulator", {"regulators": [{"regulator_id": 999, "role": "lead"}]}, "regulators.0.regulator_id"),
    (
        "organisation",
        {"organisations": [{"organisation_id": 999, "role": "client"}]},
        "organisations.0.organisation_id",
    ),
    ("case", {"case_id": 999}, "case_id"),
    (
        "third finding's organisation",
        {"findings": [{"text": "a"}, {"text": "b"}, {"text": "c", "organisation_id": 999}]},
        "findings.2.organisation_id",
    ),
    (
        "related decision",
        {"related": [{"decision_id": 999, "relation": "appeal_of"}]},
        "related.0.decision_id",
    ),
]


@pytest.mark.parametrize(("case", "changes", "field"), REFERENCES, ids=[c[0] for c in REFERENCES])
def test_ids_that_do_not_exist(api: Api, ids: dict[str, int], case: str, changes: dict, field: str) -> None:
    before = table_counts(api.db)
    body = problem(api.post("/api/v1/decisions", decision_body(ids, **changes)), 422)
    assert fields(body) == {field}
    assert "999" in body["detail"]
    assert table_counts(api.db) == before


def test_a_failed_patch_changes_nothing(api: Api, ids: dict[str, int]) -> None:
    url = f"/api/v1/decisions/{ids['decision']}"
    before = api.ok(api.get(url))
    counts = table_counts(api.db)
    problem(
        api.patch(
            url,
            {"title": "Changed", "findings": [{"text": "a", "organisation_id": 999}]},
            headers=api.current(url),
        ),
        422,
    )
    assert api.ok(api.get(url)) == before
    assert table_counts(api.db) == counts


def test_duplicate_reference_is_a_conflict(api: Api, ids: dict[str, int]) -> None:
    body = problem(api.post("/api/v1/decisions", decision_body(ids, reference="REF-1")), 409)
    assert fields(body) == {"reference"}
    body = problem(
        api.post(
            "/api/v1/regulators",
            {"name": "office of the privacy commissioner of canada", "jurisdiction": "CA"},
        ),
        409,
    )


def test_links_must_point_back_in_time(api: Api, ids: dict[str, int]) -> None:
    body = problem(
        api.post(
            "/api/v1/decisions",
            decision_body(
                ids,
                issued_on="2020-01-01",
                related=[{"decision_id": ids["decision"], "relation": "appeal_of"}],
            ),
        ),
        422,
    )
    assert fields(body) == {"related.0.decision_id"}
    later = api.ok(
        api.post(
            "/api/v1/decisions",
            decision_body(ids, related=[{"decision_id": ids["decision"], "relation": "appeal_of"}]),
        ),
        201,
    )
    # Moving the earlier decision after the one that appeals it is refused too.
    url = f"/api/v1/decisions/{ids['decision']}"
    body = problem(api.patch(url, {"issued_on": "2023-01-01"}, headers=api.current(url)), 422)
    assert fields(body) == {"issued_on"}
    body = problem(
        api.patch(
            f"/api/v1/decisions/{later['id']}",
            {"related": [{"decision_id": later["id"], "relation": "upholds"}]},
            headers=api.current(f"/api/v1/decisions/{later['id']}"),
        ),
        422,
    )
    assert fields(body) == {"related.0.decision_id"}


def test_organisation_parent_loop(api: Api, ids: dict[str, int]) -> None:
    child = api.organisation("Child", parent_id=ids["organisation"])
    url = f"/api/v1/organisations/{ids['organisation']}"
    body = problem(api.patch(url, {"parent_id": child["id"]}, headers=api.current(url)), 422)
    assert fields(body) == {"parent_id"}
    url = f"/api/v1/organisations/{child['id']}"
    problem(api.patch(url, {"parent_id": child["id"]}, headers=api.current(url)), 422)


ASSESSMENTS = [
    ("unknown status", {"status": "done"}, {"status"}),
    ("impossible date", {"assessed_on": "2021-13-01"}, {"assessed_on"}),
    ("future date", {"assessed_on": "2999-01-01"}, {"assessed_on"}),
    ("unknown asserter", {"asserted_by": "me"}, {"asserted_by"}),
    ("NUL in note", {"note": "\x00"}, {"note"}),
    ("bad url", {"source_url": "not a url"}, {"source_url"}),
    ("unknown field", {"proof": "x"}, {"proof"}),
    ("missing status", {"status": None}, {"status"}),
]


@pytest.mark.parametrize(("case", "changes", "bad_fields"), ASSESSMENTS, ids=[c[0] for c in ASSESSMENTS])
def test_bad_assessments(
    api: Api, ids: dict[str, int], case: str, changes: dict, bad_fields: set[str]
) -> None:
    base = {"status": "complied", "assessed_on": "2021-05-01", "asserted_by": "regulator"}
    body = {k: v for k, v in (base | changes).items() if v is not None}
    before = table_counts(api.db)
    assert bad_fields <= fields(
        problem(api.post(f"/api/v1/recommendations/{ids['rec']}/assessments", body), 422)
    )
    assert table_counts(api.db) == before


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/decisions/99999999999999999999", "path.decision_id"),
        ("/api/v1/decisions/-3", "path.decision_id"),
        ("/api/v1/decisions/abc", "path.decision_id"),
        ("/api/v1/decisions?cursor=not-a-cursor", "query.cursor"),
        ("/api/v1/decisions?cursor=eyJ4IjoxfQ", "query.cursor"),
        ("/api/v1/decisions?cursor=WyItaXNzdWVkX29uIixbIm5vdC1hLWRhdGUiLDFdXQ", "query.cursor"),
        ("/api/v1/decisions?cursor=WyJpZCIsWzEsMV1d", "query.cursor"),
        ("/api/v1/decisions?as_of=2021-02-30", "query.as_of"),
        ("/api/v1/decisions?compliance=great", "query.compliance"),
        ("/api/v1/decisions?regulator_id=18446744073709551616", "query.regulator_id"),
        ("/api/v1/decisions?sort=colour", "query.sort"),
        ("/api/v1/recommendations?status=done", "query.status"),
        ("/api/v1/recommendations?overdue=perhaps", "query.overdue"),
        ("/api/v1/recommendations/1/assessments?as_of=x", "query.as_of"),
    ],
)
def test_bad_query_and_path(api: Api, url: str, field: str) -> None:
    assert fields(problem(api.get(url), 422)) == {field}


def test_cursor_from_another_sort_is_refused(api: Api, ids: dict[str, int]) -> None:
    api.decision(ids["regulator"], reference="REF-2")
    page = api.ok(api.get("/api/v1/decisions", params={"limit": 1}))
    body = problem(
        api.get("/api/v1/decisions", params={"limit": 1, "sort": "reference", "cursor": page["next_cursor"]}),
        422,
    )
    assert fields(body) == {"query.cursor"}


def test_unknown_item_is_404(api: Api) -> None:
    body = problem(api.get("/api/v1/organisations/12345"), 404)
    assert "12345" in body["detail"]
    problem(api.patch("/api/v1/organisations/12345", {"name": "x"}, headers={"If-Match": '"1"'}), 404)
    problem(api.delete("/api/v1/organisations/12345", headers={"If-Match": '"1"'}), 404)
    problem(
        api.post(
            "/api/v1/recommendations/12345/assessments",
            {"status": "complied", "assessed_on": "2021-01-01", "asserted_by": "press"},
        ),
        404,
    )
    problem(api.get("/api/v1/nowhere"), 404)


def test_malformed_json(api: Api) -> None:
    response = api.client.post(
        "/api/v1/regulators",
        content=b'{"name": "x",',
        headers=api.auth() | {"content-type": "application/json"},
    )
    body = problem(response, 400)
    assert "JSON" in body["detail"]
    response = api.client.post(
        "/api/v1/regulators", content=b"[1, 2]", headers=api.auth() | {"content-type": "application/json"}
    )
    problem(response, 422)


def test_body_too_large(api: Api) -> None:
    response = api.client.post(
        "/api/v1/regulators",
        content=json.dumps({"name": "x" * 3_000_000}),
        headers=api.auth() | {"content-type": "application/json"},
    )
    problem(response, 413)


def test_patch_cannot_null_a_required_field(api: Api, ids: dict[str, int]) -> None:
    url = f"/api/v1/decisions/{ids['decision']}"
    body = problem(api.patch(url, {"title": None}, headers=api.current(url)), 422)
    assert fields(body) == {"title"}
    url = f"/api/v1/regulators/{ids['regulator']}"
    problem(api.patch(url, {"jurisdiction": "Canada"}, headers=api.current(url)), 422)


def test_a_failed_commit_is_never_acknowledged(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request's session commits before the answer is sent: a failed commit is a 503."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    def fail(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    before = table_counts(api.db)
    monkeypatch.setattr(Session, "commit", fail)
    body = problem(api.post("/api/v1/regulators", {"name": "X", "jurisdiction": "FR"}), 503)
    assert "nothing was changed" in body["detail"]
    monkeypatch.undo()
    assert table_counts(api.db) == before

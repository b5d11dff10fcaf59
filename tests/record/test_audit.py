"""The audit log: every change recorded (who, when in UTC, what, before, after) in the same
transaction as the change; readable by admins; impossible to edit or delete."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.errors import Conflict
from app.vocab import Role
from tests.conftest import Api


def entries(api: Api, **params: Any) -> list[dict[str, Any]]:
    return api.ok(api.get("/api/v1/audit", params=params, headers=api.auth(Role.admin)))["items"]


def audit_count(api: Api) -> int:
    with api.db.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()


def test_every_change_through_the_api_is_audited(api: Api) -> None:
    started = dt.datetime.now(dt.UTC)
    reg = api.regulator()
    org = api.organisation()
    case = api.ok(api.post("/api/v1/cases", {"title": "Scraping"}), 201)
    dec = api.decision(reg["id"], case_id=case["id"])
    rec = api.recommendation(dec["id"], org["id"])
    api.assess(rec["id"], "complied", "2021-03-01")
    changes = [
        ("regulator", reg, {"short_name": "OPC"}),
        ("organisation", org, {"country": "US"}),
        ("case", case, {"summary": "All of it"}),
        ("decision", dec, {"title": "Renamed"}),
        ("recommendation", rec, {"text": "Stop"}),
    ]
    collections = {
        "regulator": "regulators",
        "organisation": "organisations",
        "case": "cases",
        "decision": "decisions",
        "recommendation": "recommendations",
    }
    for entity, item, patch in changes:
        url = f"/api/v1/{collections[entity]}/{item['id']}"
        api.ok(api.patch(url, patch, headers=api.current(url)))
    for entity in ("recommendation", "decision", "case", "organisation", "regulator"):
        item = next(i for e, i, _ in changes if e == entity)
        # The recommendation has an assessment: deleting it with its history is for admins.
        role = Role.admin if entity == "recommendation" else Role.editor
        assert api.delete(f"/api/v1/{collections[entity]}/{item['id']}", role=role).status_code == 204

    by_admin = entries(api, actor="token:test-admin", limit=500)
    assert [(e["entity"], e["action"]) for e in by_admin] == [("recommendation", "delete")]
    log = list(reversed(entries(api, actor="token:test-editor", limit=500)))
    assert [(e["entity"], e["action"]) for e in log] == [
        ("regulator", "create"),
        ("organisation", "create"),
        ("case", "create"),
        ("decision", "create"),
        ("recommendation", "create"),
        ("assessment", "create"),
        ("regulator", "update"),
        ("organisation", "update"),
        ("case", "update"),
        ("decision", "update"),
        ("recommendation", "update"),
        ("decision", "delete"),
        ("case", "delete"),
        ("organisation", "delete"),
        ("regulator", "delete"),
    ]
    for entry in log:
        at = dt.datetime.fromisoformat(entry["at"])
        assert at.utcoffset() == dt.timedelta(0)
        assert started - dt.timedelta(seconds=1) <= at <= dt.datetime.now(dt.UTC)
        if entry["action"] == "create":
            assert entry["before"] is None and entry["after"]["id"] == entry["entity_id"]
        elif entry["action"] == "update":
            assert entry["before"] != entry["after"]
        else:
            assert entry["before"]["id"] == entry["entity_id"] and entry["after"] is None
    update = next(e for e in log if e["entity"] == "decision" and e["action"] == "update")
    assert update["before"]["title"] == "Decision REF-1" and update["after"]["title"] == "Renamed"


def test_a_refused_change_leaves_no_entry(api: Api) -> None:
    reg = api.regulator()
    before = audit_count(api)
    stale = api.patch(f"/api/v1/regulators/{reg['id']}", {"name": "X"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    bad_ref = api.post(
        "/api/v1/decisions",
        {"reference": "R", "title": "T", "kind": "order", "issued_on": "2021-01-01", "case_id": 999},
    )
    assert bad_ref.status_code == 422
    assert audit_count(api) == before


def test_a_change_that_fails_after_its_entry_was_written_leaves_neither(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry is in the change's transaction: when the request fails after the service
    wrote both, both are rolled back."""
    from app.services.record import regulators

    def failing_read(*args: Any, **kwargs: Any) -> Any:
        raise Conflict("failed after the change was made")

    monkeypatch.setattr(regulators, "read", failing_read)
    before = audit_count(api)
    response = api.post("/api/v1/regulators", {"name": "Ghost", "jurisdiction": "CA"})
    assert response.status_code == 409
    assert audit_count(api) == before
    monkeypatch.undo()
    assert api.ok(api.get("/api/v1/regulators", params={"q": "Ghost"}))["items"] == []


def test_command_line_changes_are_audited(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", str(api.db.engine.url))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["demo"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    log = entries(api, actor="cli:demo", limit=500)
    assert {e["entity"] for e in log} >= {"regulator", "organisation", "case", "decision", "recommendation"}
    assert all(e["action"] == "create" and e["after"] for e in log)


def test_audit_filters_and_keyset_paging(api: Api) -> None:
    regs = [api.regulator(name=f"Regulator {i}") for i in range(5)]
    api.organisation()
    by_entity = entries(api, entity="regulator")
    assert [e["entity_id"] for e in by_entity] == [r["id"] for r in reversed(regs)]
    assert [e["entity_id"] for e in entries(api, entity="regulator", entity_id=regs[2]["id"])] == [
        regs[2]["id"]
    ]
    assert entries(api, actor="token:nobody") == []
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert entries(api, since=future) == []
    assert len(entries(api, since="2000-01-01T00:00:00")) == len(entries(api))

    seen, cursor = [], None
    while True:
        params = {"entity": "regulator", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.ok(api.get("/api/v1/audit", params=params, headers=api.auth(Role.admin)))
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [e["id"] for e in by_entity]
    assert (
        api.get("/api/v1/audit", params={"cursor": "garbage"}, headers=api.auth(Role.admin)).status_code
        == 422
    )


def test_audit_is_admin_only_and_read_only_through_the_api(api: Api) -> None:
    assert api.get("/api/v1/audit").status_code == 401
    for role in (Role.reader, Role.editor):
        assert api.get("/api/v1/audit", headers=api.auth(role)).status_code == 403
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/v1/audit", "/api/v1/audit/1"):
            response = api.client.request(method, path, headers=api.auth(Role.admin), json={})
            assert response.status_code in (404, 405), (method, path)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = 1",
    ],
)
def test_the_database_refuses_to_change_the_audit_log(api: Api, statement: str) -> None:
    api.regulator()
    before = audit_count(api)
    with pytest.raises(DatabaseError, match="append-only"), api.db.engine.begin() as conn:
        conn.execute(text(statement))
    assert audit_count(api) == before


def test_a_change_whose_commit_fails_is_not_acknowledged(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request's transaction commits before the answer is sent: when the commit fails,
    the client hears 503, not 201 (it used to commit after sending the answer)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    response = api.post("/api/v1/regulators", {"name": "Lost", "jurisdiction": "CA"})
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert api.ok(api.get("/api/v1/regulators"))["items"] == []

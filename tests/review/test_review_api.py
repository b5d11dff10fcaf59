"""The review queue over the API: the readings awaiting an editor, claims that keep two editors
off one item, confirm and correct with If-Match, and what each changes (status, compliance,
alerts, audit)."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from app.models import AuditEntry, Decision, OutboxEvent, Subscription
from app.schemas.review import ReviewFilter
from app.services.review import claims
from app.vocab import Channel, Role, TargetType
from tests.conftest import Api
from tests.exchange.test_classify import measured_files
from tests.exchange.test_csv_import import run


def load(db: Database, tmp_path: Path) -> None:
    """Five readings: two that count (not_complied 0.9, pending 0.95) and three suggestions
    (complied 0.75 twice, pending 0.5), over three decisions."""
    m, c = measured_files(tmp_path)
    run(db, m, c)


def queue(api: Api, role: Role = Role.editor, **params: Any) -> Any:
    return api.client.get("/api/v1/review", params=params, headers=api.auth(role))


def by_reference(api: Api, reference: str) -> dict[str, Any]:
    return api.ok(api.get("/api/v1/recommendations", params={"reference": reference}))["items"][0]


def reading_of(api: Api, reference: str) -> dict[str, Any]:
    rec = by_reference(api, reference)
    return [a for a in api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))][-1]


def review(
    api: Api, assessment_id: int, body: Any, role: Role = Role.editor, etag: str | None = "read"
) -> Any:
    headers = api.auth(role)
    if etag == "read":
        etag = api.get(f"/api/v1/assessments/{assessment_id}").headers["etag"]
    if etag is not None:
        headers["If-Match"] = etag
    return api.client.post(f"/api/v1/assessments/{assessment_id}/review", json=body, headers=headers)


def test_the_queue_lists_the_readings_awaiting_review_with_filters(
    db: Database, api: Api, tmp_path: Path
) -> None:
    load(db, tmp_path)
    assert queue(api, None).status_code == 401 and queue(api, Role.reader).status_code == 403
    page = api.ok(queue(api))
    assert (page["reviewed"], page["total"], len(page["items"])) == (0, 5, 5)
    first = page["items"][0]
    assert first["kind"] == "assessment" and first["assessment"]["review"] == "awaiting"
    assert (
        first["recommendation"]["text"] == "Do A" and first["recommendation"]["decision_reference"] == "C-1"
    )
    assert first["recommendation"]["suggested_status"] == "complied"
    assert [i["assessment"]["id"] for i in page["items"]] == sorted(
        i["assessment"]["id"] for i in page["items"]
    )
    assert api.ok(queue(api, suggested_status="complied"))["total"] == 2
    assert api.ok(queue(api, confidence_below=0.9))["total"] == 3
    assert api.ok(queue(api, confidence_at_least=0.9))["total"] == 2
    assert api.ok(queue(api, dataset="c"))["total"] == 5 and api.ok(queue(api, dataset="taic"))["total"] == 0
    acme = first["recommendation"]["organisation_id"]
    assert api.ok(queue(api, organisation_id=acme))["total"] == 4
    two = api.ok(queue(api, limit=2))
    rest = api.ok(queue(api, limit=5, cursor=two["next_cursor"]))
    assert len(two["items"]) == 2 and len(rest["items"]) == 3 and rest["next_cursor"] is None
    assert queue(api, suggested_status="maybe").status_code == 422
    assert queue(api, confidence_below=2).status_code == 422


def test_confirm_makes_a_suggestion_count(db: Database, api: Api, tmp_path: Path) -> None:
    with db.transaction(actor="test") as s:
        s.add(
            Subscription(
                target_type=TargetType.query,
                query="",
                events=["assessment.created", "recommendation.status_changed"],
                channel=Channel.webhook,
                url="https://example.org/hook",
                secret="x" * 32,
            )
        )
    load(db, tmp_path)
    reading = reading_of(api, "001/20")
    assert (reading["counted"], reading["review"]) == (False, "awaiting")
    one = api.get(f"/api/v1/assessments/{reading['id']}")
    assert one.status_code == 200 and one.headers["etag"] == '"1"' and one.json() == reading
    # If-Match: required, and refused when stale.
    assert review(api, reading["id"], {"action": "confirm"}, etag=None).status_code == 428
    assert review(api, reading["id"], {"action": "confirm"}, etag='"7"').status_code == 412
    assert review(api, reading["id"], {"action": "confirm"}, role=Role.reader).status_code == 403
    answer = review(api, reading["id"], {"action": "confirm"})
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["correction"] is None
    assert {k: done["reviewed"][k] for k in ("review", "counted", "reviewed_by_name")} == {
        "review": "confirmed",
        "counted": True,
        "reviewed_by_name": "editor",
    }
    assert answer.headers["etag"] == '"2"' and done["reviewed"]["reviewed_at"]
    rec = by_reference(api, "001/20")
    assert (rec["status"], rec["status_origin"], rec["status_reviewed"], rec["suggested_status"]) == (
        "complied",
        "classified",
        True,
        None,
    )
    assert rec["last_assessed_on"] == "2020-05-02"
    # The decision's compliance follows: one complied, one not, one pending.
    decision = api.ok(api.get(f"/api/v1/decisions/{rec['decision_id']}"))
    assert decision["compliance"] == "partially_complied"
    # Again: already reviewed.
    again = review(api, reading["id"], {"action": "confirm"})
    assert again.status_code == 409 and "already reviewed (confirmed by editor" in again.json()["detail"]
    with db.transaction(write=False) as s:
        events = [(e.type, e.data) for e in s.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
        entries = [(e.action, e.entity, e.entity_id) for e in s.scalars(select(AuditEntry))]
    # Confirmed, the reading is a new assessment of the record for those who follow it.
    assert ("confirm", "assessment", reading["id"]) in entries
    confirmed = [d for t, d in events if t == "assessment.created" and d["assessment"]["id"] == reading["id"]]
    changed = [
        d
        for t, d in events
        if t == "recommendation.status_changed" and d["recommendation"]["id"] == rec["id"]
    ]
    assert len(confirmed) == 1 and [(c["before"], c["after"]) for c in changed] == [("pending", "complied")]
    assert api.ok(queue(api))["reviewed"] == 1


def test_correct_supersedes_the_reading_with_an_entered_assessment(
    db: Database, api: Api, tmp_path: Path
) -> None:
    load(db, tmp_path)
    reading = reading_of(api, "002/20")  # "We reject this": not_complied, counted, unreviewed
    bad = review(api, reading["id"], {"action": "correct", "status": "half_done"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "correct.status"
    assert review(api, reading["id"], {"action": "undo"}).status_code == 422
    answer = review(
        api, reading["id"], {"action": "correct", "status": "disputed", "note": "They contest it."}
    )
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["reviewed"]["review"], done["reviewed"]["counted"]) == ("rejected", False)
    correction = done["correction"]
    assert {k: correction[k] for k in ("status", "origin", "counted", "review", "corrects_id", "note")} == {
        "status": "disputed",
        "origin": "entered",
        "counted": True,
        "review": "not_needed",
        "corrects_id": reading["id"],
        "note": "They contest it.",
    }
    assert (correction["assessed_on"], correction["asserted_by"]) == (
        reading["assessed_on"],
        reading["asserted_by"],
    )
    rec = by_reference(api, "002/20")
    assert (rec["status"], rec["status_origin"], rec["status_reviewed"]) == ("disputed", "entered", True)
    history = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))
    assert [(a["id"], a["review"]) for a in history] == [
        (reading["id"], "rejected"),
        (correction["id"], "not_needed"),
    ]
    # Not a machine reading: nothing to review.
    entered = review(api, correction["id"], {"action": "confirm"})
    assert entered.status_code == 409 and "not a machine reading" in entered.json()["detail"]
    with db.transaction(write=False) as s:
        entries = {
            (e.action, e.entity_id)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "assessment"))
        }
        compliance = {d.reference: d.compliance.value for d in s.scalars(select(Decision))}
    assert {("correct", reading["id"]), ("create", correction["id"])} <= entries
    assert compliance["C-1"] == "disputed"


def test_two_editors_never_hold_the_same_item(db: Database, api: Api, tmp_path: Path) -> None:
    load(db, tmp_path)
    claim = lambda role, **params: api.client.post(  # noqa: E731
        "/api/v1/review/claim", params=params, headers=api.auth(role)
    )
    first = api.ok(claim(Role.editor))
    second = api.ok(claim(Role.admin))
    assert first["assessment"]["id"] != second["assessment"]["id"]
    assert (first["claimed_by_name"], second["claimed_by_name"]) == ("editor", "admin")
    # The queue shows who holds what.
    held = {i["assessment"]["id"]: i["claimed_by_name"] for i in api.ok(queue(api))["items"]}
    assert held[first["assessment"]["id"]] == "editor" and held[second["assessment"]["id"]] == "admin"
    # The editor may not review what the admin holds: 409 naming who, until when.
    taken = review(api, second["assessment"]["id"], {"action": "confirm"})
    assert taken.status_code == 409, taken.text
    assert "being reviewed by admin until" in taken.json()["detail"] and int(taken.headers["retry-after"]) > 0
    # Each reviews their own; claiming the next lets the last go.
    assert review(api, first["assessment"]["id"], {"action": "confirm"}).status_code == 200
    nxt = api.ok(claim(Role.editor, after=first["assessment"]["id"]))
    assert nxt["assessment"]["id"] not in (first["assessment"]["id"], second["assessment"]["id"])
    # Nothing before it is free (the first is reviewed, the second held); j and k move.
    assert claim(Role.editor, before=nxt["assessment"]["id"]).status_code == 404
    later = api.ok(claim(Role.editor, after=nxt["assessment"]["id"]))
    back = api.ok(claim(Role.editor, before=later["assessment"]["id"]))
    assert back["assessment"]["id"] == nxt["assessment"]["id"] < later["assessment"]["id"]
    # Claims of the three others, then nothing is left for the editor.
    for _ in range(5):
        if claim(Role.editor, after=back["assessment"]["id"]).status_code == 404:
            break
    assert claim(Role.editor, suggested_status="withdrawn").status_code == 404


def test_a_lapsed_claim_is_taken_over(db: Database, tmp_path: Path) -> None:
    load(db, tmp_path)
    with db.transaction(actor="user:ann@example.org") as s:
        ann = claims.claim_next(s, ReviewFilter())
        assert ann is not None
        held = claims.holding(s, "assessment", ann.id)
        assert held is not None
        held.expires_at = claims.now() - claims.LEASE  # Ann went away
    with db.transaction(actor="user:bob@example.org") as s:
        bob = claims.claim_next(s, ReviewFilter())
        assert bob is not None and bob.id == ann.id


@pytest.mark.postgres
def test_on_postgresql_two_editors_asking_at_once_get_two_items(db: Database, tmp_path: Path) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite serialises writers: the second waits for the first")
    load(db, tmp_path)
    ann, bob = db.session(write=True), db.session(write=True)
    ann.info["actor"], bob.info["actor"] = "user:ann@example.org", "user:bob@example.org"
    try:
        first = claims.claim_next(ann, ReviewFilter())  # its row stays locked until the commit
        second = claims.claim_next(bob, ReviewFilter())  # skips it rather than waiting
        assert first is not None and second is not None and first.id != second.id
        ann.commit()
        bob.commit()
    finally:
        ann.close()
        bob.close()

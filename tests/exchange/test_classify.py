"""Statuses classified from text keep their provenance: the rule, its measured precision, the
matched sentence; below the mapping's `accept_at` a reading is a suggestion that makes no
status, compliance, count or alert; a status a file gives in a column is `imported`."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Database
from app.errors import Invalid
from app.models import Assessment, Decision, OutboxEvent, Recommendation, Subscription
from app.services.exchange.csv import classify
from app.vocab import Channel, Role, TargetType
from tests.conftest import Api, table_counts
from tests.exchange.test_csv_import import CLASSIFY, CLASSIFY_CSV, run, write

RULES = """classify = [
    {{ name = "no-reply", match = "(?i)^\\\\W*no reply\\\\W*$", value = "" }},
    {{ name = "refused", match = "(?i)reject", value = "not_complied", precision = "9/10" }},
    {{ name = "done", match = "(?i)implemented", value = "complied", precision = "3/4" }},
    {{ name = "considering", match = "(?i){extra}", value = "{status}", precision = "19/20" }},
]
accept_at = 0.9
default_precision = "1/2"
"""


def measured_files(tmp_path: Path, rules: str = RULES) -> tuple[Path, Path]:
    text = CLASSIFY[: CLASSIFY.rindex("classify = [")] + rules
    m = tmp_path / "c.toml"
    m.write_text(text.format(extra="considering", status="pending"), encoding="utf-8")
    c = tmp_path / "c.csv"
    c.write_text(CLASSIFY_CSV, encoding="utf-8")
    return m, c


@pytest.mark.parametrize(
    ("rules", "field", "named"),
    [
        (RULES.replace(', precision = "3/4"', ""), "assessment.status.classify[2].precision", "'done'"),
        (RULES.replace('default_precision = "1/2"\n', ""), "assessment.status.default_precision", "default"),
        (RULES.replace('"9/10"', '"11/10"'), "assessment.status.classify[1].precision", "right/of"),
        (RULES.replace("accept_at = 0.9", "accept_at = 1.5"), "assessment.status.accept_at", "at most 1"),
    ],
)
def test_a_rule_without_a_measured_precision_is_refused_naming_it(
    db: Database, tmp_path: Path, rules: str, field: str, named: str
) -> None:
    m, c = measured_files(tmp_path, rules)
    with pytest.raises(Invalid) as info:
        run(db, m, c)
    [error] = info.value.errors
    assert error.field == field and named in error.message
    assert field in info.value.detail
    assert table_counts(db)["decisions"] == 0 and table_counts(db)["assessments"] == 0


def test_without_accept_at_no_precision_is_needed_and_every_reading_counts(
    db: Database, tmp_path: Path
) -> None:
    m, c = measured_files(tmp_path, RULES.replace("accept_at = 0.9\n", "").replace(', precision = "3/4"', ""))
    report = run(db, m, c)
    assert sum(report.suggested.values()) == 0
    with db.transaction(write=False) as s:
        assert all(a.counted and a.review.value == "awaiting" for a in s.scalars(select(Assessment)))


def _state(
    s: Session, reference: str, text: str | None = None
) -> tuple[str, str | None, str | None, bool | None]:
    stmt = select(Recommendation).where(Recommendation.reference == reference)
    rec = s.scalar(stmt if text is None else stmt.where(Recommendation.text == text))
    assert rec is not None
    return (
        rec.status.value,
        rec.suggested_status.value if rec.suggested_status else None,
        rec.status_origin.value if rec.status_origin else None,
        rec.status_reviewed,
    )


def test_readings_below_the_bar_are_suggestions_that_make_no_status(
    db: Database, api: Api, tmp_path: Path
) -> None:
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
    m, c = measured_files(tmp_path)
    report = run(db, m, c)
    assert report.counts["assessments"]["created"] == 5
    # Readings of "done" (0.75) and of the default (0.5) are below 0.9: suggestions.
    assert dict(report.suggested) == {"complied": 2, "pending": 1}
    with db.transaction(write=False) as s:
        assert _state(s, "001/20") == ("pending", "complied", None, None)
        assert _state(s, "002/20", "Do B") == ("not_complied", None, "classified", False)
        # The same number to Bolt: its own recommendation (unique within decision and addressee).
        assert _state(s, "002/20", "Do B too") == ("pending", "pending", None, None)
        assert _state(s, "003/20") == ("pending", "complied", None, None)
        assert _state(s, "005/20") == ("pending", None, "classified", False)
        # Compliance from the counted statuses only: one not complied and two pending (the
        # suggested "complied" of 001/20 would have made it partially complied).
        compliance = {d.reference: d.compliance.value for d in s.scalars(select(Decision))}
        assert compliance == {"C-1": "not_complied", "C-2": "pending", "C-3": "pending"}
        by_ref = {
            r.reference + (" (Bolt)" if r.text == "Do B too" else ""): a
            for a, r in s.execute(
                select(Assessment, Recommendation).join(
                    Recommendation, Recommendation.id == Assessment.recommendation_id
                )
            )
        }
        done = by_ref["001/20"]
        assert (done.origin.value, done.counted, done.review.value) == ("classified", False, "awaiting")
        assert (done.rule, done.confidence) == ("c:done", 0.75)
        assert done.evidence == {"text": "Accepted and implemented.", "start": 0, "end": 25}
        refused = by_ref["002/20"]
        assert (refused.rule, refused.confidence, refused.counted) == ("c:refused", 0.9, True)
        assert refused.evidence is not None and refused.evidence["text"] == refused.note
        # The latest of two dated replies was read: the evidence is its sentence, in the note.
        latest = by_ref["003/20"]
        assert latest.evidence is not None and latest.evidence["text"] == "Implemented."
        assert latest.note is not None and latest.note[latest.evidence["start"] :].startswith("Implemented.")
        default = by_ref["002/20 (Bolt)"]
        assert (default.rule, default.confidence, default.evidence) == ("c:default", 0.5, None)
        # Alerts: events for the two counted readings only; one changed a status.
        events = [e.type for e in s.scalars(select(OutboxEvent))]
    assert events.count("assessment.created") == 2 and events.count("recommendation.status_changed") == 1

    # The API says it: reads of recommendations and assessments, filters, stats.
    rec = api.ok(api.get("/api/v1/recommendations", params={"reference": "001/20"}))["items"][0]
    assert (rec["status"], rec["suggested_status"], rec["status_origin"], rec["status_reviewed"]) == (
        "pending",
        "complied",
        None,
        None,
    )
    [reading] = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))
    assert {
        k: reading[k] for k in ("origin", "counted", "review", "rule", "confidence", "reviewed_by_name")
    } == {
        "origin": "classified",
        "counted": False,
        "review": "awaiting",
        "rule": "c:done",
        "confidence": 0.75,
        "reviewed_by_name": None,
    }
    assert reading["evidence"] == {"text": "Accepted and implemented.", "start": 0, "end": 25}
    one = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}"))
    assert one["suggested_status"] == "complied" and one["status"] == "pending"
    as_of = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}", params={"as_of": "2020-12-31"}))
    assert (as_of["status"], as_of["suggested_status"]) == ("pending", "complied")
    complied = api.ok(api.get("/api/v1/recommendations", params={"status": "complied"}))["items"]
    assert complied == []
    stats = api.ok(api.get("/api/v1/stats"))
    assert stats["recommendations_by_status"]["complied"] == 0
    assert stats["recommendations_by_status"]["not_complied"] == 1


def test_a_status_a_file_gives_is_imported_and_reviewed(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path)
    run(db, m, c)
    with db.transaction(write=False) as s:
        found = {
            (a.origin.value, a.counted, a.review.value, a.rule, a.evidence)
            for a in s.scalars(select(Assessment))
        }
        states = {
            (r.status_origin, r.status_reviewed)
            for r in s.scalars(select(Recommendation))
            if r.last_assessed_on
        }
    assert found == {("imported", True, "not_needed", None, None)}
    assert {(o.value if o else None, r) for o, r in states} == {("imported", True)}


def test_provenance_round_trips_through_the_export(
    api: Api, other_api: Api, db: Database, tmp_path: Path
) -> None:
    m, c = measured_files(tmp_path)
    run(db, m, c)
    exported = api.get("/api/v1/export").content
    assert b'"origin":"classified","counted":false,"review":"awaiting"' in exported
    assert b'"rule":"c:done","confidence":0.75,"evidence_start":0,"evidence_end":25' in exported
    imported = other_api.client.post(
        "/api/v1/import",
        content=exported,
        headers=other_api.auth(Role.admin) | {"Content-Type": "application/json"},
    )
    assert imported.status_code == 200, imported.text
    assert other_api.get("/api/v1/export").content == exported
    rec = other_api.ok(other_api.get("/api/v1/recommendations", params={"reference": "001/20"}))["items"][0]
    assert (rec["status"], rec["suggested_status"]) == ("pending", "complied")


def test_the_evidence_is_the_matched_sentence() -> None:
    text = "Thank you.\nWe accept it. Work has begun, and is under way! More later."
    rule = classify.Rule(re.compile("begun"), "partially_complied", "begun", 1, 1)
    reading = classify.classify((rule,), text)
    start, end = classify.evidence("Note: " + text, reading) or (0, 0)
    assert ("Note: " + text)[start:end] == "Work has begun, and is under way!"
    assert classify.sentence("No stop at all", 3, 7) == (0, 14)
    assert classify.evidence("elsewhere", reading) is None
    assert classify.parse_precision("52/54") == (52, 54) and classify.parse_precision("5/0") is None
    assert classify.precision_of(52, 54) == 0.963

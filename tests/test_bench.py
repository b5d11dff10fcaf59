"""The benchmark's generator makes a consistent record: its kept columns equal what the services derive."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import Assessment, Decision, DecisionRelation, Recommendation
from app.schemas.filters import DecisionFilter
from app.services import compliance, decisions, planner
from app.vocab import Compliance, DecisionKind
from bench import generate

SCALE = 0.0005


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("bench") / "bench.sqlite3"
    return path, generate.generate(str(path), scale=SCALE, seed=11)


def test_counts_follow_the_scale(generated: tuple[Path, dict[str, Any]]) -> None:
    path, summary = generated
    counts = generate.Counts.at(SCALE)
    with sqlite3.connect(path) as conn:
        for table in ("regulators", "organisations", "decisions", "recommendations", "assessments"):
            (n,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert n == getattr(counts, table) == summary["rows"][table]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        # The migrations' indexes are all back after the load.
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"ix_recommendations_status_id", "ix_assessments_recommendation_id"} <= names


def test_kept_statuses_equal_the_derived_ones(generated: tuple[Path, dict[str, Any]]) -> None:
    path, _ = generated
    db = Database(f"sqlite:///{path}")
    try:
        with db.transaction(write=False) as session:
            # A recommendation's kept status is its latest assessment's, as the services derive it.
            last = (
                select(func.max(Assessment.assessed_on))
                .where(Assessment.recommendation_id == Recommendation.id)
                .scalar_subquery()
            )
            rows = session.execute(
                select(
                    Recommendation.status,
                    compliance.status_expr(generate.END),
                    Recommendation.last_assessed_on,
                    last,
                )
            ).all()
            assert rows and all(kept == derived for kept, derived, _, _ in rows)
            assert all(kept_on == last_on for _, _, kept_on, last_on in rows)
            # Some histories were recorded out of date order, and some recommendations have none.
            assert {r[0] for r in rows} >= {"pending", "complied"}

            # A decision's kept compliance is the rule applied to its recommendations' statuses.
            ids = list(session.scalars(select(Decision.id)))
            counts = compliance.counts_by_decision(session, ids, as_of=None)
            kept = dict(session.execute(select(Decision.id, Decision.compliance)).all())
            assert all(kept[i] == compliance.derive_compliance(counts[i]) for i in ids)
            derived = dict(
                session.execute(select(Decision.id, compliance.decision_compliance_expr(generate.END))).all()
            )
            assert all(kept[i].value == derived[i] for i in ids)

            # Links go from a later decision to an earlier one.
            later, earlier = Decision, Decision.__table__.alias("earlier")
            bad = session.scalar(
                select(func.count())
                .select_from(DecisionRelation)
                .join(later, later.id == DecisionRelation.decision_id)
                .join(earlier, earlier.c.id == DecisionRelation.related_decision_id)
                .where(earlier.c.issued_on > later.issued_on)
            )
            assert bad == 0
            # The services read every generated decision.
            page = decisions.list_(session, limit=500)
            assert len(page.items) == len(ids)
    finally:
        db.dispose()


def test_same_seed_same_record(generated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    _, summary = generated
    again = generate.generate(str(tmp_path / "again.sqlite3"), scale=SCALE, seed=11)
    for key in ("rows", "statuses", "compliance"):
        assert again[key] == summary[key]


@pytest.mark.parametrize("few", [0, 10, 10_000])
def test_owner_filters_give_the_same_rows_whichever_side_leads(
    generated: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """A regulator's or party's decisions are found from its side or by walking the list: same rows."""
    path, _ = generated
    db = Database(f"sqlite:///{path}")
    try:
        with db.transaction(write=False) as session:
            owners = [("regulator_id", i) for i in range(1, 6)] + [("organisation_id", i) for i in (1, 2, 3)]
            for key, owner in owners:
                for extra in (
                    {},
                    {"compliance": Compliance.partially_complied},
                    {"kind": DecisionKind.fine},
                ):
                    kwargs = {key: owner, **extra}
                    filters = DecisionFilter.model_validate(kwargs)
                    # Plain EXISTS (never from the owner's side), then the threshold tried.
                    monkeypatch.setattr(planner, "FEW_DECISIONS", -1)
                    expected = [d.id for d in session.scalars(decisions.filtered(filters, session=session))]
                    monkeypatch.setattr(planner, "FEW_DECISIONS", few)
                    got, cursor = [], None
                    while True:
                        page = decisions.list_(session, filters, limit=7, cursor=cursor, sort="id")
                        got += [d.id for d in page.items]
                        if not (cursor := page.next_cursor):
                            break
                    assert got == sorted(expected), kwargs
    finally:
        db.dispose()


def test_runner_builds_cursors_as_the_app_does() -> None:
    """The benchmark jumps to the deepest page with a cursor it builds: it must be the app's."""
    import datetime as dt

    from app.services import pagination
    from bench import run

    key = ("2000-01-21", 51)
    built = run.cursor_for("-issued_on", key)
    assert built == pagination.encode_cursor("-issued_on", (dt.date(2000, 1, 21), 51))
    sort_key = decisions.SORTS["-issued_on"]
    assert pagination.decode_cursor(built, "-issued_on", sort_key.parse) == (dt.date(2000, 1, 21), 51)
    assert run.tilde_encode("bench-0.01") == "bench-0~2E01"
    assert run.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert run.percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0

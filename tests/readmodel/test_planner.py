"""The planner's choices (app/services/shared/planner.py): the same rows whichever way a filter is
written, and the plan each way reads the index its docstring names."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import Database
from app.models import Decision, DecisionRegulator
from app.schemas.filters import DecisionFilter
from app.services.record import decisions
from app.services.shared import planner
from app.vocab import Compliance, DecisionKind
from bench import generate

SCALE = 0.002
# FEW_DECISIONS values: never from the owner's side, always, and the real threshold.
THRESHOLDS = [-1, 0, 10_000, planner.FEW_DECISIONS]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    path = tmp_path_factory.mktemp("planner") / "record.sqlite3"
    generate.generate(str(path), scale=SCALE, seed=5)
    db = Database(f"sqlite:///{path}")
    with db.transaction(write=False) as s:
        yield s
    db.dispose()


def owners(session: Session) -> list[tuple[str, int]]:
    """The busiest and the quietest regulators and parties."""
    out = []
    for key, table, column in (
        ("regulator_id", "decision_regulators", "regulator_id"),
        ("organisation_id", "decision_organisations", "organisation_id"),
    ):
        ranked = session.execute(
            text(f"SELECT {column} FROM {table} GROUP BY {column} ORDER BY count(*) DESC, {column}")
        ).scalars()
        ids = list(ranked)
        out += [(key, ids[0]), (key, ids[len(ids) // 2]), (key, ids[-1])]
    return out


def expected_ids(session: Session, key: str, owner: int, extra: dict[str, Any]) -> list[int]:
    """The rows written plainly, without the planner."""
    table = "decision_regulators" if key == "regulator_id" else "decision_organisations"
    sql = f"SELECT id FROM decisions WHERE id IN (SELECT decision_id FROM {table} WHERE {key} = :owner)"
    for column in extra:
        sql += f" AND {column} = :{column}"
    values = {k: str(v) for k, v in extra.items()}
    return list(session.execute(text(sql + " ORDER BY id"), {"owner": owner, **values}).scalars())


EXTRAS: list[dict[str, Any]] = [
    {},
    {"compliance": Compliance.not_complied},
    {"compliance": Compliance.partially_complied},
    {"kind": DecisionKind.fine},
]


@pytest.mark.parametrize("few", THRESHOLDS)
def test_the_rows_are_the_same_whichever_side_leads(
    session: Session, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    monkeypatch.setattr(planner, "FEW_DECISIONS", few)
    compared = 0
    for key, owner in owners(session):
        for extra in EXTRAS:
            filters = DecisionFilter.model_validate({key: owner, **extra})
            expected = expected_ids(session, key, owner, extra)
            stmt = decisions.filtered(filters, session=session)
            assert sorted(d.id for d in session.scalars(stmt)) == expected, (key, owner, extra)
            got, cursor = [], None
            while True:
                page = decisions.list_(session, filters, limit=7, cursor=cursor, sort="-issued_on")
                got += [d.id for d in page.items]
                if not (cursor := page.next_cursor):
                    break
            assert sorted(got) == expected
            assert decisions.count(session, filters) == len(expected)
            compared += len(expected)
    assert compared > 50


def plan_of(session: Session, filters: DecisionFilter) -> list[str]:
    """SQLite's plan for the first page, newest first, as the list reads it."""
    key = decisions.SORTS["-issued_on"]
    stmt = decisions.filtered(filters, session=session)
    stmt = stmt.order_by(key.column.desc(), key.id_column.desc()).limit(51)
    sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    return [row[-1] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql))]


def quiet_regulator(session: Session) -> int:
    return next(owner for key, owner in reversed(owners(session)) if key == "regulator_id")


def test_a_few_linked_decisions_lead_and_no_compliance_index_leads_away(session: Session) -> None:
    regulator = quiet_regulator(session)
    plan = plan_of(session, DecisionFilter(regulator_id=regulator, compliance=Compliance.not_complied))
    assert any(
        "decision_regulators USING COVERING INDEX ix_decision_regulators_regulator_id (regulator_id=?)" in p
        for p in plan
    ), plan
    assert not any("ix_decisions_compliance_issued_on" in p for p in plan), plan
    plan = plan_of(session, DecisionFilter(organisation_id=1, kind=DecisionKind.fine))
    assert any("ix_decision_organisations_organisation_id (organisation_id=?)" in p for p in plan), plan
    assert not any("ix_decisions_kind_issued_on" in p for p in plan), plan


def test_many_linked_decisions_are_probed_while_walking_the_list(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner, "FEW_DECISIONS", 0)
    regulator = quiet_regulator(session)
    plan = plan_of(session, DecisionFilter(regulator_id=regulator))
    assert any("SCAN decisions USING INDEX ix_decisions_issued_on_id" in p for p in plan), plan
    assert any("CORRELATED SCALAR SUBQUERY" in p for p in plan), plan
    plan = plan_of(session, DecisionFilter(regulator_id=regulator, compliance=Compliance.not_complied))
    assert any("ix_decisions_compliance_issued_on (compliance=?)" in p for p in plan), plan


def test_the_choice_is_the_count_of_linked_decisions(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator = quiet_regulator(session)
    (n,) = session.execute(
        text("SELECT count(*) FROM decision_regulators WHERE regulator_id = :r"), {"r": regulator}
    ).one()
    assert n > 0
    for few, expected in ((n, True), (n - 1, False)):
        monkeypatch.setattr(planner, "FEW_DECISIONS", few)
        plan = planner.Plan(session)
        plan.among(Decision.id, DecisionRegulator.decision_id, DecisionRegulator.regulator_id, regulator)
        assert plan.few is expected

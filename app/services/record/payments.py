"""Penalties paid: a decision's penalty has an obligation to pay, a recommendation of kind
`payment` addressed to its (first) respondent, made with the penalty and following it.

- The obligation follows the decision (`follow`, called by every write of a decision): made
  when a penalty and a respondent are there, its text kept to the penalty's amount and currency,
  moved to the first respondent, and removed with the penalty when nothing was recorded of it. A
  penalty (or the last respondent) removed from a decision whose obligation has assessments is
  refused, naming the field: nothing recorded is lost. Bulk writers (the CSV importer) make the
  missing obligations of the decisions they wrote with `follow_many`.
- Its assessments say paid (`complied`), partly paid (`partially_complied`, with `amount_paid`,
  in the penalty's currency), unpaid (`not_complied`) or contested (`disputed`) (`check_assessment`:
  an amount on any other assessment, a partly paid one without it, or one over the penalty, is
  a 422 naming `amount_paid`).
- Paid (`paid`, and `paid_sql` its SQL twin): the whole penalty when the obligation's status is
  complied; the amount of its latest counted assessment when partly paid; nothing (0) when unpaid
  or contested; and unknown (None: "no payment recorded", never "unpaid") while there is no
  counted assessment (pending) or the obligation was withdrawn. Both follow `as_of` (the status
  and the amount as of the day, from the assessments dated up to it) and count counted
  assessments only (a machine suggestion counts for nothing until an editor confirms it).
- An obligation is its own line: it makes no compliance nor counts (compliance.IN_COMPLIANCE).
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, case, exists, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.errors import Conflict, FieldError, Invalid
from app.models import Assessment, Decision, DecisionOrganisation, Recommendation
from app.models.base import table_of
from app.services import compliance
from app.services.shared import audit
from app.vocab import OrganisationRole, RecommendationKind, Status

PAYMENT = RecommendationKind.payment
IS_PAYMENT = Recommendation.kind == PAYMENT.value
# The statuses of a payment that say something was (or was not) paid; the others say nothing.
RECORDED = (Status.complied, Status.partially_complied, Status.not_complied, Status.disputed)


def obligation_text(amount: Decimal, currency: str) -> str:
    """The obligation's text: "Pay the penalty of EUR 20,000,000.00."."""
    return f"Pay the penalty of {currency} {amount:,.2f}."


# -- Paid --------------------------------------------------------------------------------


def paid(status: Status, amount_paid: Decimal | None, penalty: Decimal) -> Decimal | None:
    """What a penalty's obligation says was paid (Python): `paid_sql` in SQL."""
    if status == Status.complied:
        return penalty
    if status == Status.partially_complied:
        return amount_paid if amount_paid is not None else None
    if status in RECORDED:
        return Decimal(0)
    return None


def paid_of(history: Iterable[Assessment], penalty: Decimal, as_of: dt.date | None = None) -> Decimal | None:
    """What a history of the obligation says was paid as of the day (Python)."""
    latest = compliance.latest_of(history, as_of)
    if latest is None:
        return None
    return paid(latest.status, latest.amount_paid, penalty)


def _paid_value(as_of: dt.date | None) -> ColumnElement[Any]:
    """`paid` over the correlated obligation (`Recommendation`) of `Decision` (SQL)."""
    status = compliance.status_expr(as_of)
    amount = compliance.latest_assessment(Assessment.amount_paid, as_of)
    return case(
        (status == Status.complied.value, Decision.penalty_amount),
        (status == Status.partially_complied.value, amount),
        (status.in_([s.value for s in RECORDED]), literal(Decimal(0))),
        else_=None,
    )


def paid_sql(as_of: dt.date | None) -> ScalarSelect[Any]:
    """What a decision's penalty obligation says was paid, as of the day (SQL, correlated on
    `Decision`; NULL without an obligation or while nothing is recorded)."""
    return (
        select(_paid_value(as_of))
        .where(Recommendation.decision_id == Decision.id, IS_PAYMENT)
        .correlate(Decision)
        .scalar_subquery()
    )


def paid_by_decision(session: Session, ids: list[int], *, as_of: dt.date | None) -> dict[int, Decimal | None]:
    """What each decision's obligation says was paid (None: nothing recorded, or none)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Decision.id, paid_sql(as_of)).where(Decision.id.in_(ids), Decision.penalty_amount.is_not(None))
    )
    found = {i: (Decimal(v).quantize(Decimal("0.01")) if v is not None else None) for i, v in rows}
    return {i: found.get(i) for i in ids}


def obligation_ids(session: Session, ids: list[int]) -> dict[int, int]:
    """The payment obligation of each decision that has one."""
    if not ids:
        return {}
    rows = session.execute(
        select(Recommendation.decision_id, Recommendation.id).where(
            Recommendation.decision_id.in_(ids), IS_PAYMENT
        )
    )
    return {d: r for d, r in rows}


# -- The obligation follows the decision --------------------------------------------------


def _respondent(session: Session, decision_id: int) -> int | None:
    return session.scalar(
        select(DecisionOrganisation.organisation_id)
        .where(
            DecisionOrganisation.decision_id == decision_id,
            DecisionOrganisation.role == OrganisationRole.respondent,
        )
        .order_by(DecisionOrganisation.position)
        .limit(1)
    )


def obligation_of(session: Session, decision_id: int) -> Recommendation | None:
    return session.scalar(select(Recommendation).where(Recommendation.decision_id == decision_id, IS_PAYMENT))


def _assessed(session: Session, recommendation_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.recommendation_id == recommendation_id)
        )
        or 0
    )


def follow(session: Session, decision: Decision) -> None:
    """Make the decision's payment obligation follow its penalty and first respondent (after a
    create or an edit, the decision flushed); each change audited."""
    session.flush()
    existing = obligation_of(session, decision.id)
    respondent = _respondent(session, decision.id) if decision.penalty_amount is not None else None
    if decision.penalty_amount is None or decision.penalty_currency is None or respondent is None:
        if existing is None:
            return
        if n := _assessed(session, existing.id):
            field = "penalty_amount" if decision.penalty_amount is None else "organisations"
            gone = "penalty" if decision.penalty_amount is None else "last respondent"
            raise Invalid(
                f"Decision {decision.id}'s penalty has a payment obligation (recommendation "
                f"{existing.id}) with {n} assessment(s) of its payment; removing its {gone} would "
                "lose them.",
                [FieldError(field, f"the payment obligation has {n} assessment(s)", "payment_recorded")],
            )
        before = audit.row(existing)
        session.delete(existing)
        session.flush()
        audit.deleted(session, "recommendation", before["id"], before)
        return
    if existing is not None:
        paid_most = session.scalar(
            select(func.max(Assessment.amount_paid)).where(Assessment.recommendation_id == existing.id)
        )
        if paid_most is not None and paid_most > decision.penalty_amount:
            raise Invalid(
                f"Decision {decision.id}'s payment obligation records {paid_most:,.2f} paid; the "
                f"penalty cannot be less ({decision.penalty_amount:,.2f}).",
                [
                    FieldError(
                        "penalty_amount", f"is less than the {paid_most:,.2f} recorded paid", "under_paid"
                    )
                ],
            )
    text = obligation_text(decision.penalty_amount, decision.penalty_currency)
    if existing is None:
        rec = Recommendation(decision_id=decision.id, organisation_id=respondent, text=text, kind=PAYMENT)
        session.add(rec)
        session.flush()
        # As recommendations.snapshot logs one: an obligation is made by no party.
        audit.created(session, "recommendation", rec.id, audit.row(rec) | {"recommended_by": []})
        return
    if (existing.text, existing.organisation_id) != (text, respondent):
        before = audit.row(existing)
        existing.text, existing.organisation_id = text, respondent
        existing.updated_at = dt.datetime.now(dt.UTC)
        session.flush()
        audit.updated(session, "recommendation", existing.id, before, audit.row(existing))


def follow_many(session: Session, decision_ids: Iterable[int], *, actor: str, now: dt.datetime) -> list[int]:
    """Make the missing obligations of decisions written past the ORM (a bulk import), in one
    statement per batch, with their audit entries; returns the new obligations' ids."""
    from app.models import AuditEntry

    ids = list(decision_ids)
    made: list[int] = []
    first = aliased(DecisionOrganisation)
    earlier = aliased(DecisionOrganisation)
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        rows: list[tuple[int, Decimal, str, int]] = session.execute(
            select(Decision.id, Decision.penalty_amount, Decision.penalty_currency, first.organisation_id)
            .join(first, first.decision_id == Decision.id)
            .where(
                Decision.id.in_(batch),
                Decision.penalty_amount.is_not(None),
                first.role == OrganisationRole.respondent,
                ~exists().where(
                    earlier.decision_id == first.decision_id,
                    earlier.role == OrganisationRole.respondent,
                    earlier.position < first.position,
                ),
                ~exists().where(Recommendation.decision_id == Decision.id, IS_PAYMENT),
            )
            .order_by(Decision.id)
        ).all()  # type: ignore[assignment]  # the WHERE makes the amount and currency not NULL
        if not rows:
            continue
        values = [
            {
                "decision_id": d,
                "organisation_id": o,
                "text": obligation_text(Decimal(a), c),
                "kind": PAYMENT.value,
                "status": Status.pending.value,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for d, a, c, o in rows
        ]
        table = table_of(Recommendation)
        new = list(session.scalars(table.insert().returning(table.c.id), values))
        entries = [
            {
                "at": now,
                "actor": actor,
                "action": "create",
                "entity": "recommendation",
                "entity_id": rec_id,
                "before": None,
                "after": audit.jsonable(
                    v
                    | {
                        "id": rec_id,
                        "reference": None,
                        "translations": {},
                        "due_on": None,
                        "last_assessed_on": None,
                        "status_origin": None,
                        "status_reviewed": None,
                        "suggested_status": None,
                        "recommended_by": [],
                    }
                ),
            }
            for rec_id, v in zip(new, values, strict=True)
        ]
        for entry in entries:
            entry["after"].pop("created_at", None)
            entry["after"].pop("updated_at", None)
        session.execute(table_of(AuditEntry).insert(), entries)
        made += new
    return made


def before_merge(session: Session, *, merged_id: int, into: int) -> None:
    """Before decision `merged_id` is merged into `into` (one act, one penalty, one obligation):
    its obligation goes when nothing was recorded of it (the merge log keeps it, for an undo);
    one with assessments is refused, naming `into` (keep that decision instead), so that no
    payment recorded is lost and no penalty has two obligations."""
    obligation = obligation_of(session, merged_id)
    if obligation is None:
        return
    if n := _assessed(session, obligation.id):
        raise Invalid(
            f"Decision {merged_id}'s penalty has a payment obligation (recommendation "
            f"{obligation.id}) with {n} assessment(s) of its payment; merging it would leave two "
            f"obligations for one penalty. Keep decision {merged_id} and merge decision {into} into it.",
            [FieldError("into", f"decision {merged_id}'s payment has {n} assessment(s)", "payment_recorded")],
        )
    before = audit.row(obligation)
    session.delete(obligation)
    session.flush()
    audit.deleted(session, "recommendation", before["id"], before)


# -- Its assessments ----------------------------------------------------------------------


def check_assessment(
    session: Session, rec: Recommendation, status: Status, amount_paid: Decimal | None
) -> None:
    """An amount paid goes with a partly paid assessment of a payment obligation, and only
    there, never over the penalty; a partly paid payment says how much."""
    if rec.kind != PAYMENT:
        if amount_paid is not None:
            raise Invalid(
                "amount_paid is said of a penalty's payment only; this is not a payment obligation.",
                [FieldError("amount_paid", "only a payment obligation's assessment has one", "not_payment")],
            )
        return
    if amount_paid is not None and status != Status.partially_complied:
        raise Invalid(
            "amount_paid goes with a partly paid (partially_complied) assessment only: paid "
            "(complied) is the whole penalty, unpaid or contested nothing.",
            [FieldError("amount_paid", "only with status partially_complied", "not_partial")],
        )
    if status != Status.partially_complied:
        return
    if amount_paid is None:
        raise Invalid(
            "A partly paid (partially_complied) payment says how much was paid: amount_paid.",
            [FieldError("amount_paid", "is required with status partially_complied", "missing")],
        )
    decision = session.get(Decision, rec.decision_id)
    penalty = decision.penalty_amount if decision is not None else None
    if penalty is not None and amount_paid > penalty:
        raise Invalid(
            f"amount_paid {amount_paid:,.2f} is more than the penalty "
            f"({decision.penalty_currency if decision else ''} {penalty:,.2f}).",
            [FieldError("amount_paid", f"is more than the penalty ({penalty:,.2f})", "over_penalty")],
        )


def check_not_payment(kind: RecommendationKind | None, field: str = "kind") -> None:
    """A payment obligation is made with its penalty, never by hand (nor turned into another kind)."""
    if kind == PAYMENT:
        raise Invalid(
            "A payment obligation is made with the decision's penalty and follows it; set the "
            "decision's penalty_amount and penalty_currency instead.",
            [FieldError(field, "payment is made with the penalty", "payment_follows_penalty")],
        )


def refuse_delete(rec: Recommendation) -> None:
    """A payment obligation goes with its penalty (remove the penalty), not on its own."""
    if rec.kind == PAYMENT:
        raise Conflict(
            f"Recommendation {rec.id} is the payment obligation of decision {rec.decision_id}'s "
            "penalty: it goes when the penalty is removed from the decision."
        )

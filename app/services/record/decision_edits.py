"""The writes of a decision: created and updated whole with its regulators, parties,
findings, sources, provisions, tags and links to earlier decisions (each list of parts given
replaces the old one), or deleted when nothing refers to it; the references, the reference's
uniqueness and the order of linked decisions' dates checked first, and every write recorded
in the audit log (`snapshot`). The reads are in app/services/record/decisions.py."""

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError, Invalid
from app.models import (
    Assessment,
    Case,
    Decision,
    DecisionOrganisation,
    DecisionProvision,
    DecisionRegulator,
    DecisionRelation,
    DecisionReportedAmount,
    DecisionSource,
    DecisionTag,
    Document,
    Finding,
    Organisation,
    Recommendation,
    Regulator,
)
from app.schemas.decision import (
    PENALTY_PAIR,
    DecisionCreate,
    DecisionUpdate,
    own_currency_message,
    own_currency_reported,
    unpaired_penalty_field,
)
from app.schemas.languages import own_language_translated
from app.schemas.precision import is_start, not_start
from app.services.record import duplicates, payments
from app.services.record.decisions import CHILDREN, LOAD
from app.services.shared import audit
from app.services.shared.common import (
    changed,
    check_references,
    check_version,
    get_or_404,
    refuse_if_referenced,
)


def snapshot(d: Decision) -> dict[str, Any]:
    """The decision and its parts, as written to the audit log and compared on export."""
    return audit.row(d) | {
        "regulators": [{"regulator_id": r.regulator_id, "role": r.role.value} for r in d.regulators],
        "organisations": [
            {"organisation_id": o.organisation_id, "role": o.role.value} for o in d.organisations
        ],
        "findings": [
            {
                "text": f.text,
                "provision": f.provision,
                "organisation_id": f.organisation_id,
                "outcome": f.outcome.value,
            }
            for f in d.findings
        ],
        "provisions": [p.provision for p in d.provisions],
        "sources": [
            {
                "url": s.url,
                "title": s.title,
                "publisher": s.publisher,
                "published_on": audit.jsonable(s.published_on),
                "document_id": s.document_id,
            }
            for s in d.sources
        ],
        "tags": [t.tag for t in d.tags],
        "related": [{"decision_id": r.related_decision_id, "relation": r.relation.value} for r in d.related],
        "reported_amounts": [
            {"amount": audit.jsonable(a.amount), "currency": a.currency, "source": a.source}
            for a in d.reported_amounts
        ],
    }


def _check_refs(session: Session, data: DecisionCreate | DecisionUpdate, decision_id: int | None) -> None:
    refs: list[tuple[str, Any, int | None]] = [("case_id", Case, data.case_id)]
    refs += [
        (f"regulators.{i}.regulator_id", Regulator, r.regulator_id)
        for i, r in enumerate(data.regulators or [])
    ]
    refs += [
        (f"organisations.{i}.organisation_id", Organisation, o.organisation_id)
        for i, o in enumerate(data.organisations or [])
    ]
    refs += [
        (f"findings.{i}.organisation_id", Organisation, f.organisation_id)
        for i, f in enumerate(data.findings or [])
    ]
    refs += [(f"related.{i}.decision_id", Decision, r.decision_id) for i, r in enumerate(data.related or [])]
    refs += [(f"sources.{i}.document_id", Document, s.document_id) for i, s in enumerate(data.sources or [])]
    if decision_id is not None:
        for i, r in enumerate(data.related or []):
            if r.decision_id == decision_id:
                raise Invalid(
                    "A decision cannot be related to itself.",
                    [FieldError(f"related.{i}.decision_id", "is this decision itself", "self")],
                )
    check_references(session, refs)


def _check_reference_free(session: Session, reference: str, decision_id: int | None) -> None:
    stmt = select(Decision.id).where(Decision.reference == reference)
    if decision_id is not None:
        stmt = stmt.where(Decision.id != decision_id)
    if session.scalar(stmt) is not None:
        raise Conflict(
            f"A decision with reference {reference!r} already exists.",
            [FieldError("reference", "already used by another decision", "unique")],
        )


def _check_chronology(session: Session, decision: Decision) -> None:
    """Links go from a later decision to an earlier (or same-day) one, both ways round."""
    errors = []
    earlier = dict(
        session.execute(
            select(Decision.id, Decision.issued_on).where(
                Decision.id.in_([r.related_decision_id for r in decision.related])
            )
        ).all()
    )
    for i, r in enumerate(decision.related):
        if earlier[r.related_decision_id] > decision.issued_on:
            errors.append(
                FieldError(
                    f"related.{i}.decision_id",
                    f"decision {r.related_decision_id} was issued on "
                    f"{earlier[r.related_decision_id]}, after this one ({decision.issued_on}); "
                    "a link goes from a later decision to an earlier one",
                    "chronology",
                )
            )
    later = session.execute(
        select(Decision.id, Decision.issued_on)
        .join(DecisionRelation, DecisionRelation.decision_id == Decision.id)
        .where(DecisionRelation.related_decision_id == decision.id, Decision.issued_on < decision.issued_on)
    ).all()
    for later_id, issued_on in later:
        errors.append(
            FieldError(
                "issued_on",
                f"decision {later_id}, issued on {issued_on}, links to this one; "
                "this one cannot be issued after it",
                "chronology",
            )
        )
    if errors:
        raise Invalid(
            "The dates of linked decisions are out of order: " + "; ".join(e.message for e in errors) + ".",
            errors,
        )


def check_reported(decision: Decision) -> None:
    """No amount reported in the decision's own penalty currency (checked on the decision as
    it stands after an edit: the edit may change either side)."""
    places = own_currency_reported(decision.penalty_currency, decision.reported_amounts)
    if places:
        raise Invalid(
            own_currency_message(decision.penalty_currency, places).capitalize() + ".",
            [
                FieldError(f"reported_amounts.{i}.currency", "is the decision's own currency", "currency")
                for i in places
            ],
        )


def _set_children(decision: Decision, values: dict[str, Any]) -> None:
    """Replace each list of parts that `values` names."""
    if (items := values.get("regulators")) is not None:
        decision.regulators = [
            DecisionRegulator(regulator_id=r["regulator_id"], role=r["role"], position=i)
            for i, r in enumerate(items)
        ]
    if (items := values.get("organisations")) is not None:
        decision.organisations = [
            DecisionOrganisation(organisation_id=o["organisation_id"], role=o["role"], position=i)
            for i, o in enumerate(items)
        ]
    if (items := values.get("findings")) is not None:
        decision.findings = [Finding(position=i, **f) for i, f in enumerate(items)]
    if (items := values.get("provisions")) is not None:
        decision.provisions = [DecisionProvision(position=i, provision=p) for i, p in enumerate(items)]
    if (items := values.get("sources")) is not None:
        decision.sources = [DecisionSource(position=i, **s) for i, s in enumerate(items)]
    if (items := values.get("tags")) is not None:
        decision.tags = [DecisionTag(tag=t) for t in sorted(items)]
    if (items := values.get("reported_amounts")) is not None:
        decision.reported_amounts = [DecisionReportedAmount(position=i, **a) for i, a in enumerate(items)]
    if (items := values.get("related")) is not None:
        decision.related = [
            DecisionRelation(related_decision_id=r["decision_id"], relation=r["relation"], position=i)
            for i, r in enumerate(items)
        ]


def _check_translations(session: Session, decision: Decision, values: dict[str, Any]) -> None:
    """The edit's translations and language with the decision as it stands: never a
    translation into its own language (the schema checked the edit alone)."""
    language = values.get("language", decision.language)
    if own := own_language_translated(language, values.get("translations", decision.translations)):
        field = "language" if "translations" not in values else f"translations.{own}"
        raise Invalid(
            f"Decision {decision.id} would hold a translation into {own}, its own language: the "
            "original title and summary are its own.",
            [
                FieldError(
                    field, f"holds a translation into {own}, the decision's own language", "own_language"
                )
            ],
        )
    if language != decision.language:
        texts = session.scalars(
            select(Recommendation.translations).where(
                Recommendation.decision_id == decision.id, Recommendation.translations.is_not(None)
            )
        )
        if any(language in t for t in texts):
            raise Invalid(
                f"Decision {decision.id}'s recommendations have translations into {language}: "
                "remove them before making it the decision's own language.",
                [
                    FieldError(
                        "language", "is a language its recommendations are translated into", "own_language"
                    )
                ],
            )


def create_screened(session: Session, *, data: DecisionCreate) -> tuple[Decision, duplicates.Match | None]:
    """A decision entered by a person (the API, the pages): the same act already in the record
    is refused (409, naming it); a near match is created, and returned for the caller to name."""
    near = duplicates.refuse_exact(session, data)
    return create(session, data=data), near


def create(session: Session, *, data: DecisionCreate) -> Decision:
    _check_refs(session, data, None)
    _check_reference_free(session, data.reference, None)
    values = data.model_dump()
    decision = Decision(**{k: v for k, v in values.items() if k not in CHILDREN})
    _set_children(decision, values)
    session.add(decision)
    session.flush()
    _check_chronology(session, decision)
    audit.created(
        session,
        "decision",
        decision.id,
        snapshot(decision),
    )
    payments.follow(session, decision)
    return decision


def update(
    session: Session, *, decision_id: int, data: DecisionUpdate, expected_version: int | None
) -> Decision:
    decision = get_or_404(session, Decision, decision_id, options=LOAD)
    check_version(decision, expected_version)
    _check_refs(session, data, decision_id)
    values = data.model_dump(exclude_unset=True)
    # The parts given replace the old ones whole, with their own defaults (a finding's
    # outcome, a role): `exclude_unset` would leave those out, and the rows without them.
    values |= data.model_dump(include={name for name in CHILDREN if name in values})
    if "reference" in values:
        _check_reference_free(session, values["reference"], decision_id)
    # The edit given with the decision as it stands (the schema checked the edit alone).
    amount = values.get("penalty_amount", decision.penalty_amount)
    if unpaired := unpaired_penalty_field(amount, values.get("penalty_currency", decision.penalty_currency)):
        raise Invalid(f"{PENALTY_PAIR}.", [FieldError(unpaired, "needs its pair", "penalty")])
    # A precision sent alone is the kept date's: it must be the first day of its month or year.
    precision = values.get("issued_on_precision")
    if precision is not None and "issued_on" not in values and not is_start(decision.issued_on, precision):
        problem = not_start(decision.issued_on, precision)
        raise Invalid(f"issued_on {problem}.", [FieldError("issued_on_precision", problem, "date_precision")])
    _check_translations(session, decision, values)
    before = snapshot(decision)
    changed(decision, {k: v for k, v in values.items() if k not in CHILDREN})
    # One UPDATE of the row (and one new version) per edit, whatever parts it replaces.
    decision.updated_at = dt.datetime.now(dt.UTC)
    # Clear replaced parts first, so a re-added key does not clash with the old row.
    for name in CHILDREN:
        if values.get(name) is not None:
            setattr(decision, name, [])
    session.flush()
    _set_children(decision, values)
    session.flush()
    _check_chronology(session, decision)
    check_reported(decision)
    audit.updated(
        session,
        "decision",
        decision.id,
        before,
        snapshot(decision),
    )
    payments.follow(session, decision)
    return decision


def add_reported_amount(
    session: Session, *, decision_id: int, amount: Decimal, currency: str, source: str
) -> bool:
    """Keep another source's figure for the same act beside its penalty (an import that
    matched the act in another currency); audited. Nothing when the decision already holds
    that amount in that currency, or the currency is its own (False)."""
    decision = get_or_404(session, Decision, decision_id, options=LOAD)
    if currency == decision.penalty_currency or any(
        (a.amount, a.currency) == (amount, currency) for a in decision.reported_amounts
    ):
        return False
    before = snapshot(decision)
    decision.reported_amounts.append(
        DecisionReportedAmount(
            position=len(decision.reported_amounts), amount=amount, currency=currency, source=source[:500]
        )
    )
    decision.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit.updated(session, "decision", decision.id, before, snapshot(decision))
    return True


def delete(session: Session, *, decision_id: int, expected_version: int | None) -> None:
    decision = get_or_404(session, Decision, decision_id, options=LOAD)
    check_version(decision, expected_version)
    # Its payment obligation goes with it when nothing was recorded of it (else it is refused
    # below, as any recommendation).
    obligation = payments.obligation_of(session, decision_id)
    if obligation is not None and not session.scalar(
        select(Assessment.id).where(Assessment.recommendation_id == obligation.id).limit(1)
    ):
        gone = audit.row(obligation)
        session.delete(obligation)
        session.flush()
        audit.deleted(session, "recommendation", obligation.id, gone)
    refuse_if_referenced(
        session,
        f"Decision {decision_id}",
        [
            ("later decisions", DecisionRelation.related_decision_id == decision_id),
            ("recommendations", Recommendation.decision_id == decision_id),
        ],
    )
    before = snapshot(decision)
    session.delete(decision)
    session.flush()
    audit.deleted(session, "decision", decision_id, before)

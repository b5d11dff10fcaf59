"""Merging a duplicate into the record kept: everything moves, nothing is lost.

Through the ORM, so the outbox hooks and the audit log see every change: the kept record is
updated (its version moves on), the moved rows are rewritten, the merged record is deleted,
and `merged_records` remembers where its id went (it then answers 308 to the kept one).
"""

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.errors import FieldError, Invalid, NotFound
from app.models import (
    Decision,
    DecisionOrganisation,
    DecisionProvision,
    DecisionRelation,
    DecisionReportedAmount,
    DecisionSource,
    DecisionTag,
    Finding,
    MergedRecord,
    Organisation,
    OrganisationAlias,
    OrganisationFormerParent,
    Recommendation,
    Subscription,
)
from app.models.base import utcnow
from app.schemas.organisation import OrganisationCreate
from app.services import compliance
from app.services.record import decision_edits, decisions, merge_log, organisations, payments, recommending
from app.services.shared import audit
from app.services.shared.common import M, check_version, get_or_404
from app.vocab import TargetType

KINDS = {Organisation: "organisation", Decision: "decision"}
# The aliases an organisation may have, as its create schema says.
MAX_ALIASES = next(
    int(m.max_length) for m in OrganisationCreate.model_fields["aliases"].metadata if hasattr(m, "max_length")
)


def moved_to(session: Session, model: type[Any], id: int) -> int | None:
    """The id a merged record now lives under, or None when it was never merged."""
    kind = KINDS.get(model)
    if kind is None:
        return None
    return session.scalar(
        select(MergedRecord.into_id).where(MergedRecord.kind == kind, MergedRecord.merged_id == id)
    )


def _check_pair(merged_id: int, into_id: int, what: str) -> None:
    if merged_id == into_id:
        raise Invalid(
            f"A {what} cannot be merged into itself.",
            [FieldError("into", f"is this {what} itself", "self")],
        )


def _target(session: Session, model: type[M], into_id: int, what: str, options: Any = ()) -> M:
    kept = session.get(model, into_id, options=options)
    if kept is None:
        raise NotFound(f"There is no {what} with id {into_id} to merge into.")
    return kept


def _remember(session: Session, kind: str, merged_id: int, into_id: int) -> None:
    # Earlier merges into the merged record now point at the kept one (no chains to follow).
    session.execute(
        update(MergedRecord)
        .where(MergedRecord.kind == kind, MergedRecord.into_id == merged_id)
        .values(into_id=into_id)
    )
    session.add(MergedRecord(kind=kind, merged_id=merged_id, into_id=into_id))
    for sub in session.scalars(
        select(Subscription).where(
            Subscription.target_type == TargetType(kind), Subscription.target_id == merged_id
        )
    ):
        sub.target_id = into_id


def _audit_merge(
    session: Session,
    entity: str,
    merged_id: int,
    into: int,
    before_merged: dict[str, Any],
    moved: dict[str, Any],
    before_kept: dict[str, Any],
    after_kept: dict[str, Any],
) -> None:
    """The whole merge in the audit log: the merged record (what moved, and where) and the kept
    one (before and after)."""
    audit.record(
        session,
        action="merge",
        entity=entity,
        entity_id=merged_id,
        before=before_merged,
        after={"merged_into": into, **moved},
    )
    audit.updated(session, entity, into, before_kept, after_kept)


def _touch(obj: Any) -> None:
    """Mark the kept row changed (the UPDATE this forces moves its version on) even when only
    its child rows changed."""
    obj.updated_at = utcnow()


def _merged_aliases(kept: Organisation, merged: Organisation) -> list[str]:
    """The merged names the kept organisation takes as new aliases (those it lacks, case
    ignored); refused, before anything moves, when they would take it past the aliases an
    organisation may have (the cap of `OrganisationCreate`: a record's export must import)."""
    names = []
    seen = {kept.name.casefold(), *(a.alias.casefold() for a in kept.aliases)}
    for name in [merged.name, *(a.alias for a in merged.aliases)]:
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    total = len(kept.aliases) + len(names)
    if total > MAX_ALIASES:
        raise Invalid(
            f"Merged, organisation {kept.id} would have {total} aliases (its own {len(kept.aliases)} "
            f"and {len(names)} names of organisation {merged.id}); an organisation has at most "
            f"{MAX_ALIASES}. Remove some aliases from either first.",
            [FieldError("into", f"would have {total} aliases; at most {MAX_ALIASES}", "too_long")],
        )
    return names


def merge_organisation(
    session: Session, *, organisation_id: int, into: int, expected_version: int | None
) -> Organisation:
    _check_pair(organisation_id, into, "organisation")
    merged = get_or_404(session, Organisation, organisation_id, options=organisations.LOAD)
    check_version(merged, expected_version)
    kept = _target(session, Organisation, into, "organisation", organisations.LOAD)
    new_aliases = _merged_aliases(kept, merged)
    before_merged, before_kept = organisations.snapshot(merged), organisations.snapshot(kept)
    image = merge_log.image(session, "organisation", [organisation_id, into])

    # Links to decisions: the kept party takes the merged one's place (where both are parties
    # of one decision, the kept one's link stays: a decision names a party once).
    links = session.scalars(
        select(DecisionOrganisation).where(DecisionOrganisation.organisation_id == organisation_id)
    ).all()
    kept_on = set(
        session.scalars(
            select(DecisionOrganisation.decision_id).where(DecisionOrganisation.organisation_id == into)
        )
    )
    moved_decisions = sorted(link.decision_id for link in links)
    for link in links:
        if link.decision_id in kept_on and link.role != _role(session, link.decision_id, into):
            raise Invalid(
                f"Both organisations are parties to decision {link.decision_id} in different roles "
                f"({link.role.value} and {_role(session, link.decision_id, into).value}); "
                "change one of them first.",
                [FieldError("into", f"role clash on decision {link.decision_id}", "unique")],
            )
    for link in links:
        values = {"decision_id": link.decision_id, "role": link.role, "position": link.position}
        session.delete(link)
        if link.decision_id not in kept_on:
            session.flush()
            session.add(DecisionOrganisation(organisation_id=into, **values))
    recs = session.scalars(
        select(Recommendation).where(Recommendation.organisation_id == organisation_id)
    ).all()
    _refuse_reference_clash(
        session, Recommendation.organisation_id, organisation_id, into, Recommendation.decision_id
    )
    for rec in recs:
        rec.organisation_id = into
    recommended = recommending.move(session, organisation_id, into)
    found = session.scalars(select(Finding).where(Finding.organisation_id == organisation_id)).all()
    for finding in found:
        finding.organisation_id = into
    children = session.scalars(select(Organisation).where(Organisation.parent_id == organisation_id)).all()
    for child in children:
        child.parent_id = into if child.id != into else merged.parent_id
    if kept.parent_id == organisation_id:
        kept.parent_id = merged.parent_id
        kept.parent_since = merged.parent_since if merged.parent_id is not None else None
    # Former subsidiaries were the kept record's; a period of the kept one under the merged one
    # would be under itself, and goes (the merge log keeps it, for an undo). The merged record's
    # own parents go with it, as its current one does: the kept record's stand.
    former_children = session.scalars(
        select(OrganisationFormerParent).where(OrganisationFormerParent.parent_id == organisation_id)
    ).all()
    for period in former_children:
        if period.organisation_id == into:
            kept.former_parents.remove(period)
        else:
            period.parent_id = into

    for alias in new_aliases:
        kept.aliases.append(OrganisationAlias(alias=alias, position=len(kept.aliases)))
    kept.country = kept.country or merged.country
    kept.website = kept.website or merged.website
    _touch(kept)
    session.flush()
    session.delete(merged)
    _remember(session, "organisation", organisation_id, into)
    session.flush()
    moved = {
        "decisions": moved_decisions,
        "recommendations": sorted(r.id for r in recs),
        # The recommendations it made (UPR's recommending States), where it made some.
        **({"recommended": recommended} if recommended else {}),
        "findings": sorted(f.id for f in found),
        "subsidiaries": sorted(c.id for c in children),
        "former_subsidiaries": sorted({p.organisation_id for p in former_children} - {into}),
        "aliases": new_aliases,
    }
    merge_log.log(
        session, kind="organisation", merged_id=organisation_id, into_id=into, before=image, moved=moved
    )
    _audit_merge(
        session,
        "organisation",
        organisation_id,
        into,
        before_merged,
        {k: v for k, v in moved.items() if k != "aliases"},
        before_kept,
        organisations.snapshot(kept),
    )
    return kept


def _role(session: Session, decision_id: int, organisation_id: int) -> Any:
    return session.scalar(
        select(DecisionOrganisation.role).where(
            DecisionOrganisation.decision_id == decision_id,
            DecisionOrganisation.organisation_id == organisation_id,
        )
    )


def merge_decision(
    session: Session, *, decision_id: int, into: int, expected_version: int | None
) -> Decision:
    _check_pair(decision_id, into, "decision")
    merged = get_or_404(session, Decision, decision_id, options=decisions.LOAD)
    check_version(merged, expected_version)
    kept = _target(session, Decision, into, "decision", decisions.LOAD)
    theirs = {r.regulator_id for r in merged.regulators}
    ours = {r.regulator_id for r in kept.regulators}
    if not theirs <= ours:
        raise Invalid(
            f"Decision {decision_id} was issued by another regulator than decision {into} "
            f"(regulators {sorted(theirs - ours)} are not among {sorted(ours)}); "
            "only the same act by the same regulator can be merged.",
            [FieldError("into", "a decision of another regulator", "regulator")],
        )
    _refuse_reference_clash(
        session, Recommendation.decision_id, decision_id, into, Recommendation.organisation_id
    )
    before_merged, before_kept = decision_edits.snapshot(merged), decision_edits.snapshot(kept)
    image = merge_log.image(session, "decision", [decision_id, into])
    payments.before_merge(session, merged_id=decision_id, into=into)

    # Parties, provisions, tags and sources the kept decision lacks.
    parties = {o.organisation_id for o in kept.organisations}
    for o in merged.organisations:
        if o.organisation_id not in parties:
            kept.organisations.append(
                DecisionOrganisation(
                    organisation_id=o.organisation_id, role=o.role, position=len(kept.organisations)
                )
            )
    provisions = [p.provision for p in kept.provisions]
    for p in merged.provisions:
        if p.provision not in provisions:
            provisions.append(p.provision)
            kept.provisions.append(DecisionProvision(position=len(kept.provisions), provision=p.provision))
    tags = {t.tag for t in kept.tags}
    for t in merged.tags:
        if t.tag not in tags:
            tags.add(t.tag)
            kept.tags.append(DecisionTag(tag=t.tag))
    urls = {s.url for s in kept.sources}
    for s in merged.sources:
        if s.url not in urls:
            urls.add(s.url)
            kept.sources.append(
                DecisionSource(
                    position=len(kept.sources),
                    url=s.url,
                    title=s.title,
                    publisher=s.publisher,
                    published_on=s.published_on,
                )
            )
    # The same act's other figures: the merged decision's reported amounts, and its penalty
    # when in another currency than the kept one's, stay as reported amounts (never a total).
    figures = [(a.amount, a.currency, a.source) for a in merged.reported_amounts]
    if (
        merged.penalty_amount is not None
        and merged.penalty_currency is not None
        and kept.penalty_amount is not None
    ):
        figures.insert(0, (merged.penalty_amount, merged.penalty_currency, f"decision {merged.reference}"))
    known = {(a.amount, a.currency) for a in kept.reported_amounts}
    for amount, currency, source in figures:
        if currency != kept.penalty_currency and (amount, currency) not in known:
            known.add((amount, currency))
            kept.reported_amounts.append(
                DecisionReportedAmount(
                    position=len(kept.reported_amounts), amount=amount, currency=currency, source=source[:500]
                )
            )
    # Findings, recommendations (with their assessments) move whole.
    for f in list(merged.findings):
        merged.findings.remove(f)
        f.position = len(kept.findings)
        kept.findings.append(f)
    recs = session.scalars(select(Recommendation).where(Recommendation.decision_id == decision_id)).all()
    for rec in recs:
        rec.decision_id = into
    if kept.case_id is None:
        kept.case_id = merged.case_id
    if kept.summary is None:
        kept.summary = merged.summary

    # Links: the merged decision's own links become the kept one's; links to it, links to the kept one.
    linked = {r.related_decision_id for r in kept.related}
    for r in list(merged.related):
        if r.related_decision_id not in linked and r.related_decision_id != into:
            linked.add(r.related_decision_id)
            kept.related.append(
                DecisionRelation(
                    related_decision_id=r.related_decision_id, relation=r.relation, position=len(kept.related)
                )
            )
    merged.related = []
    later_links = session.scalars(
        select(DecisionRelation).where(DecisionRelation.related_decision_id == decision_id)
    ).all()
    rewired = []
    for link in later_links:
        if link.decision_id == into:  # the kept decision's own link to the merged one
            kept.related.remove(link)
            continue
        exists = session.get(DecisionRelation, (link.decision_id, into))
        values = {"decision_id": link.decision_id, "relation": link.relation, "position": link.position}
        session.delete(link)
        if link.decision_id != into and exists is None:
            session.flush()
            session.add(DecisionRelation(related_decision_id=into, **values))
            rewired.append(link.decision_id)
    _touch(kept)
    session.flush()
    session.delete(merged)
    _remember(session, "decision", decision_id, into)
    session.flush()
    compliance.refresh_decision(session, into)
    # The kept penalty's obligation, to a respondent the merge may have brought.
    payments.follow(session, kept)
    moved = {"recommendations": sorted(r.id for r in recs), "later_decisions_relinked": sorted(rewired)}
    merge_log.log(session, kind="decision", merged_id=decision_id, into_id=into, before=image, moved=moved)
    _audit_merge(
        session,
        "decision",
        decision_id,
        into,
        before_merged,
        moved,
        before_kept,
        decision_edits.snapshot(kept),
    )
    return kept


def _refuse_reference_clash(session: Session, column: Any, merged_id: int, into: int, other: Any) -> None:
    """Recommendation references are unique within a decision and addressee: the same one to the
    same party on both sides (`other`: the addressee when decisions merge, the decision when
    organisations do) would clash once the two records are one (422, naming them)."""
    stmt = select(other, Recommendation.reference).where(Recommendation.reference.is_not(None))
    ours = {(key, reference) for key, reference in session.execute(stmt.where(column == merged_id))}
    theirs = {(key, reference) for key, reference in session.execute(stmt.where(column == into))}
    clashes = sorted({str(reference) for _, reference in ours & theirs})
    if clashes:
        kind = "Decisions" if column is Recommendation.decision_id else "Organisations"
        raise Invalid(
            f"{kind} {merged_id} and {into} both have a recommendation with the reference "
            f"{', '.join(repr(r) for r in clashes)} to the same party; references are unique within "
            "a decision and addressee. Change or remove one of them first.",
            [
                FieldError(
                    "into", "has a recommendation with the same reference: " + ", ".join(clashes), "unique"
                )
            ],
        )


def preview(session: Session, *, kind: str, merged_id: int, into: int) -> list[str]:
    """What a merge of `merged_id` into `into` will move, in words, for the page that asks to
    confirm it (nothing is written; the merge itself may still refuse)."""
    if kind == "organisation":
        merged = get_or_404(session, Organisation, merged_id, options=organisations.LOAD)
        kept = _target(session, Organisation, into, "organisation", organisations.LOAD)
        decisions_moved = session.scalars(
            select(DecisionOrganisation.decision_id).where(DecisionOrganisation.organisation_id == merged_id)
        ).all()
        recs = session.scalars(
            select(Recommendation.id).where(Recommendation.organisation_id == merged_id)
        ).all()
        found = session.scalars(select(Finding.id).where(Finding.organisation_id == merged_id)).all()
        children = session.scalars(select(Organisation.id).where(Organisation.parent_id == merged_id)).all()
        former = session.scalars(
            select(OrganisationFormerParent.organisation_id).where(
                OrganisationFormerParent.parent_id == merged_id,
                OrganisationFormerParent.organisation_id != into,
            )
        ).all()
        names = [
            n
            for n in [merged.name, *(a.alias for a in merged.aliases)]
            if n.casefold() not in {kept.name.casefold(), *(a.alias.casefold() for a in kept.aliases)}
        ]
        return [
            f"{len(decisions_moved)} decision(s) it is a party to",
            f"{len(recs)} recommendation(s) addressed to it, with their assessments",
            f"{len(recommending.of_organisation(session, merged_id))} recommendation(s) it made",
            f"{len(found)} finding(s) about it",
            f"{len(children)} subsidiary(ies)",
            f"{len(set(former))} former subsidiary(ies)",
            "its names as aliases: " + (", ".join(names) if names else "none new"),
        ]
    merged_d = get_or_404(session, Decision, merged_id, options=decisions.LOAD)
    kept_d = _target(session, Decision, into, "decision", decisions.LOAD)
    recs = session.scalars(
        select(Recommendation.id).where(Recommendation.decision_id == merged_id, ~payments.IS_PAYMENT)
    ).all()
    later = session.scalars(
        select(DecisionRelation.decision_id).where(DecisionRelation.related_decision_id == merged_id)
    ).all()
    parties = {o.organisation_id for o in kept_d.organisations}
    urls = {s.url for s in kept_d.sources}
    out = [
        f"{len(recs)} recommendation(s), with their assessments",
        f"{len(merged_d.findings)} finding(s)",
        f"{sum(o.organisation_id not in parties for o in merged_d.organisations)} party(ies) it lacks",
        f"{sum(s.url not in urls for s in merged_d.sources)} source(s) it lacks",
        f"{len(merged_d.tags)} tag(s) and {len(merged_d.provisions)} provision(s) (those it lacks)",
        f"{len(later)} later decision(s) linking to it",
    ]
    if (obligation := payments.obligation_of(session, merged_id)) is not None:
        out.append(
            f"its penalty's payment obligation (recommendation {obligation.id}): removed, one act "
            "one payment (refused if a payment of it is recorded)"
        )
    if merged_d.penalty_amount is not None and kept_d.penalty_amount is not None:
        theirs = f"{merged_d.penalty_currency} {merged_d.penalty_amount:,.2f}"
        ours = f"{kept_d.penalty_currency} {kept_d.penalty_amount:,.2f}"
        if merged_d.penalty_currency != kept_d.penalty_currency:
            out.append(f"its penalty, {theirs}, as a reported amount (never in a total)")
        else:
            out.append(f"its penalty ({theirs}) is not kept: the kept decision's ({ours}) stays")
    return out

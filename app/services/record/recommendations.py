"""Recommendations and their append-only assessment history.

Over 400 lines: the writes (create, edit, delete, assessments, retraction) and the reads (item,
list, counts, facets, histories) of one entity share their columns and checks here; the list
reads are the part to move out first if it grows again.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pydantic_core import to_json
from sqlalchemy import ColumnElement, Date, Select, case, exists, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from app.models import Assessment, Decision, DecisionRegulator, Document, Organisation, Recommendation
from app.schemas.common import Page
from app.schemas.filters import RecommendationFilter
from app.schemas.recommendation import (
    AssessmentActivity,
    AssessmentCreate,
    AssessmentRead,
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
)
from app.services import compliance
from app.services.compliance import AsOf
from app.services.record import origins, payments, recommending
from app.services.search.query import matches
from app.services.shared import audit
from app.services.shared.common import changed, check_references, check_version, get_or_404
from app.services.shared.pagination import (
    SortKey,
    date_key,
    ordered_pair,
    paginate,
    position,
    previous_cursor,
    ranked,
)
from app.vocab import Role, SearchType, Status

# Without a due day (or an assessment), a recommendation sorts after every dated one.
NO_DAY_LATE: ColumnElement[Any] = literal_column("'9999-12-31'")
NO_DAY_EARLY: ColumnElement[Any] = literal_column("'0001-01-01'")


def _last_assessed(as_of: dt.date | None) -> Any:
    if as_of is None:
        return Recommendation.last_assessed_on
    return (
        select(func.max(Assessment.assessed_on))
        .where(
            Assessment.recommendation_id == Recommendation.id,
            compliance.COUNTS,
            Assessment.assessed_on <= as_of,
        )
        .correlate(Recommendation)
        .scalar_subquery()
    )


def _dated(name: str, day: Any) -> dict[str, SortKey]:
    """Ascending and descending by a nullable day, recommendations without one last both ways."""
    return {
        name: SortKey(
            func.coalesce(day, type_coerce(NO_DAY_LATE, Date)),
            Recommendation.id,
            parse=date_key,
            computed=True,
        ),
        f"-{name}": SortKey(
            func.coalesce(day, type_coerce(NO_DAY_EARLY, Date)),
            Recommendation.id,
            descending=True,
            parse=date_key,
            computed=True,
        ),
    }


def sorts(as_of: dt.date | None) -> dict[str, SortKey]:
    """The recommendation list's orders; status and last assessment as of the day read."""
    return {
        **ordered_pair("id", Recommendation.id, Recommendation.id),
        **_dated("due_on", Recommendation.due_on),
        **ordered_pair(
            "status",
            ranked(compliance.status_expr(as_of), [s.value for s in Status]),
            Recommendation.id,
            computed=True,
        ),
        **_dated("last_assessed_on", _last_assessed(as_of)),
    }


SORTS = sorts(None)


# The row's own columns in its read model (the status and what is kept beside it are read
# apart: as of a day they are derived from the history instead).
READ_COLUMNS = tuple(c.key for c in Recommendation.__mapper__.column_attrs if c.key not in compliance.KEPT)


def _check_refs(session: Session, data: RecommendationCreate | RecommendationUpdate) -> None:
    check_references(
        session,
        [
            ("decision_id", Decision, data.decision_id),
            ("organisation_id", Organisation, data.organisation_id),
        ],
    )


def _check_translations(session: Session, decision_id: int, translations: dict[str, Any] | None) -> None:
    """Never a translation into its decision's own language (the original is its text)."""
    if not translations:
        return
    language = session.scalar(select(Decision.language).where(Decision.id == decision_id))
    if language in translations:
        raise Invalid(
            f"The recommendation's text is in {language}, its decision's language: a translation "
            f"into {language} would stand beside its own text.",
            [FieldError(f"translations.{language}", "is the decision's own language", "own_language")],
        )


def check_reference_free(
    session: Session,
    decision_id: int,
    organisation_id: int,
    reference: str | None,
    recommendation_id: int | None = None,
) -> None:
    """A recommendation's reference is unique within its decision and addressee: one made to
    two parties is one recommendation for each, under the same reference (409 naming the other)."""
    if reference is None:
        return
    stmt = select(Recommendation.id).where(
        Recommendation.decision_id == decision_id,
        Recommendation.organisation_id == organisation_id,
        Recommendation.reference == reference,
    )
    if recommendation_id is not None:
        stmt = stmt.where(Recommendation.id != recommendation_id)
    other = session.scalar(stmt)
    if other is not None:
        raise Conflict(
            f"Recommendation {other} of decision {decision_id}, to the same organisation, already "
            f"has the reference {reference!r}.",
            [
                FieldError(
                    "reference",
                    "already used by another recommendation of this decision to this organisation",
                    "unique",
                )
            ],
        )


def snapshot(session: Session, rec: Recommendation) -> dict[str, Any]:
    """A recommendation as the audit log keeps it: its row and its recommending parties."""
    return audit.row(rec) | {"recommended_by": recommending.of(session, [rec.id])[rec.id]}


def create(session: Session, *, data: RecommendationCreate) -> Recommendation:
    payments.check_not_payment(data.kind)
    _check_refs(session, data)
    recommending.check(session, data.recommended_by)
    check_reference_free(session, data.decision_id, data.organisation_id, data.reference)
    _check_translations(session, data.decision_id, data.translations)
    rec = Recommendation(**data.model_dump(exclude={"recommended_by"}))
    session.add(rec)
    session.flush()
    recommending.replace(session, rec.id, data.recommended_by)
    compliance.refresh_decision(session, rec.decision_id)
    audit.created(session, "recommendation", rec.id, snapshot(session, rec))
    return rec


def update(
    session: Session,
    *,
    recommendation_id: int,
    data: RecommendationUpdate,
    expected_version: int | None,
) -> Recommendation:
    rec = get_or_404(session, Recommendation, recommendation_id)
    check_version(rec, expected_version)
    _check_refs(session, data)
    values = data.model_dump(exclude_unset=True)
    if rec.kind == payments.PAYMENT:
        # It follows its penalty: only its number and due day are edited by hand.
        for name in ("kind", "decision_id", "organisation_id", "text", "translations"):
            if name in values and values[name] != getattr(rec, name):
                raise Invalid(
                    f"Recommendation {rec.id} is the payment obligation of decision "
                    f"{rec.decision_id}'s penalty: its {name} follows the decision.",
                    [FieldError(name, "follows the decision's penalty", "payment_follows_penalty")],
                )
    else:
        payments.check_not_payment(values.get("kind"))
    before = snapshot(session, rec)
    old_decision = rec.decision_id
    recommended_by = values.pop("recommended_by", None)
    if recommended_by is not None:
        recommending.check(session, recommended_by)
    check_reference_free(
        session,
        values.get("decision_id", rec.decision_id),
        values.get("organisation_id", rec.organisation_id),
        values.get("reference", rec.reference),
        rec.id,
    )
    _check_translations(
        session, values.get("decision_id", rec.decision_id), values.get("translations", rec.translations)
    )
    changed(rec, values)
    rec.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    if recommended_by is not None:
        recommending.replace(session, rec.id, recommended_by)
    for decision_id in {old_decision, rec.decision_id}:
        compliance.refresh_decision(session, decision_id)
    audit.updated(
        session,
        "recommendation",
        rec.id,
        before,
        snapshot(session, rec),
    )
    return rec


def delete(session: Session, *, recommendation_id: int, expected_version: int | None, role: Role) -> None:
    """Delete a recommendation; one with assessment history only by an admin (an editor's
    mistake then cannot erase what was said about compliance)."""
    rec = get_or_404(session, Recommendation, recommendation_id)
    check_version(rec, expected_version)
    payments.refuse_delete(rec)
    history = [
        audit.row(a)
        for a in session.scalars(
            select(Assessment).where(Assessment.recommendation_id == rec.id).order_by(Assessment.id)
        )
    ]
    if history and not role.allows(Role.admin):
        raise Forbidden(
            f"Recommendation {recommendation_id} has {len(history)} assessment(s) of its compliance; "
            "only an admin may delete it with its history."
        )
    before = snapshot(session, rec) | {"assessments": history}
    decision_id = rec.decision_id
    session.delete(rec)
    session.flush()
    compliance.refresh_decision(session, decision_id)
    audit.deleted(session, "recommendation", recommendation_id, before)


def check_assessed_on(data: AssessmentCreate, today: dt.date | None = None) -> None:
    """An assessment records a status that has already taken effect: none dated after today."""
    today = today or clock.today()
    if data.assessed_on > today:
        raise Invalid(
            f"assessed_on {data.assessed_on} is in the future; an assessment records a status "
            "that has already taken effect.",
            [FieldError("assessed_on", "must not be after today", "future")],
        )


def add_assessment(
    session: Session, *, recommendation_id: int, data: AssessmentCreate, today: dt.date | None = None
) -> Assessment:
    rec = get_or_404(session, Recommendation, recommendation_id)
    check_assessed_on(data, today)
    payments.check_assessment(session, rec, data.status, data.amount_paid)
    check_document(session, data.document_id, data.source_page)
    assessment = Assessment(
        recommendation_id=rec.id,
        recorded_by=audit.actor(session),
        recorded_by_name=audit.public_name(session),
        **data.model_dump(),
    )
    session.add(assessment)
    history_changed(session, rec)
    audit.created(
        session,
        "assessment",
        assessment.id,
        audit.row(assessment),
    )
    return assessment


def check_document(session: Session, document_id: int | None, page: int | None) -> None:
    """An assessment's archived copy must exist, and the quote's page be one of its pages."""
    if page is not None and document_id is None:
        raise Invalid(
            "A quote's page needs the document it is a page of (`document_id`).",
            [FieldError("source_page", "needs document_id", "page_without_document")],
        )
    if document_id is None:
        return
    check_references(session, [("document_id", Document, document_id)])
    pages = session.scalar(select(Document.page_count).where(Document.id == document_id))
    if page is not None and pages is not None and page > pages:
        raise Invalid(
            f"Document {document_id} has {pages} page(s); the quote cannot be on page {page}.",
            [FieldError("source_page", f"the document has {pages} page(s)", "page_out_of_range")],
        )


def history_changed(session: Session, rec: Recommendation) -> None:
    """After an assessment is added or retracted: the recommendation's kept status and its
    decision's compliance follow the history."""
    session.flush()
    compliance.refresh_recommendation(session, rec)
    rec.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    compliance.refresh_decision(session, rec.decision_id)


def retract_assessment(
    session: Session, *, recommendation_id: int, assessment_id: int, reason: str
) -> Assessment:
    """Retract a mistaken assessment (an admin's act, checked by the caller): it stays in the
    history, marked with who, when and why, and no longer counts in any derived status."""
    rec = get_or_404(session, Recommendation, recommendation_id)
    assessment = session.get(Assessment, assessment_id)
    if assessment is None or assessment.recommendation_id != rec.id:
        raise NotFound(f"Recommendation {recommendation_id} has no assessment {assessment_id}.")
    if assessment.retracted_at is not None:
        raise Conflict(
            f"Assessment {assessment_id} was already retracted on {assessment.retracted_at:%Y-%m-%d} "
            f"by {assessment.retracted_by_name}."
        )
    before = audit.row(assessment)
    assessment.retracted_at = dt.datetime.now(dt.UTC)
    assessment.retracted_by = audit.actor(session)
    assessment.retracted_by_name = audit.public_name(session)
    assessment.retraction_reason = reason
    assessment.counted = False
    history_changed(session, rec)
    audit.record(
        session,
        action="retract",
        entity="assessment",
        entity_id=assessment.id,
        before=before,
        after=audit.row(assessment),
    )
    return assessment


def assessments(
    session: Session, *, recommendation_id: int, as_of: dt.date | None = None
) -> list[Assessment]:
    """The history of a recommendation, oldest first (by the day each took effect)."""
    get_or_404(session, Recommendation, recommendation_id)
    stmt = select(Assessment).where(
        Assessment.recommendation_id == recommendation_id, *AsOf(as_of).assessments()
    )
    return list(session.scalars(stmt.order_by(Assessment.assessed_on, Assessment.id)))


def read_many(
    session: Session, recs: list[Recommendation], *, as_of: dt.date | None
) -> list[RecommendationRead]:
    ids = [r.id for r in recs]
    if as_of is None:
        states = {r.id: {key: getattr(r, key) for key in compliance.KEPT} for r in recs}
    else:
        columns = _state_columns(as_of)
        states = {
            row[0]: dict(zip(compliance.KEPT, row[1:], strict=True))
            for row in session.execute(select(Recommendation.id, *columns).where(Recommendation.id.in_(ids)))
        }
    today = AsOf(as_of).today
    made_by = recommending.of(session, ids)
    precisions = {
        id: precision
        for id, precision in session.execute(
            select(Recommendation.id, _precision(as_of)).where(Recommendation.id.in_(ids))
        )
    }
    found = origins.of(session, "recommendation", ids)
    return [
        RecommendationRead.model_validate(
            {key: getattr(r, key) for key in READ_COLUMNS}
            | {
                "recommended_by": made_by[r.id],
                "last_assessed_on_precision": precisions.get(r.id),
                "provenance": found.get(r.id),
            }
            | states[r.id]
            | {"overdue": compliance.is_overdue(Status(states[r.id]["status"]), r.due_on, today)}
        )
        for r in recs
    ]


def _precision(as_of: dt.date | None) -> Any:
    """How much of `last_assessed_on` its assessment's source gives (SQL, correlated)."""
    return compliance.latest_assessment(Assessment.assessed_on_precision, as_of).label(
        "last_assessed_on_precision"
    )


def _state_columns(as_of: dt.date | None) -> list[Any]:
    """A recommendation's status and what is kept beside it (compliance.KEPT, in that order),
    as of the day: the kept columns now, derived from the history in the same statement as of
    a day."""
    last_assessed = (
        Recommendation.last_assessed_on
        if as_of is None
        else compliance.latest_assessment(Assessment.assessed_on, as_of)
    )
    beside = compliance.state_exprs(as_of)
    return [
        compliance.status_expr(as_of).label("status"),
        last_assessed.label("last_assessed_on"),
        *(beside[key].label(key) for key in compliance.KEPT[2:]),
    ]


def read(session: Session, *, recommendation_id: int, as_of: dt.date | None) -> RecommendationRead:
    rec = get_or_404(session, Recommendation, recommendation_id)
    if as_of is not None:
        issued_on = session.scalar(select(Decision.issued_on).where(Decision.id == rec.decision_id))
        if issued_on is not None and not AsOf(as_of).shows_decision(issued_on):
            raise NotFound(
                f"Recommendation {rec.id} belongs to a decision issued on {issued_on}, "
                f"after {as_of}: it was not yet part of the record on that day."
            )
    return read_many(session, [rec], as_of=as_of)[0]


def filtered(filters: RecommendationFilter) -> Select[Recommendation]:
    """The recommendations matching the list's filters, as a SELECT to page, count or export."""
    as_of, status, overdue, q = filters.as_of, filters.status, filters.overdue, filters.q
    organisation_id, regulator_id, decision_id, reference = (
        filters.organisation_id,
        filters.regulator_id,
        filters.decision_id,
        filters.reference,
    )
    stmt = select(Recommendation)
    if as_of is not None:
        stmt = stmt.where(exists().where(Decision.id == Recommendation.decision_id, *AsOf(as_of).decisions()))
    if status is not None:
        stmt = stmt.where(compliance.status_expr(as_of) == status.value)
    if overdue is not None:
        clause = compliance.overdue_clause(as_of)
        stmt = stmt.where(clause if overdue else ~clause)
    if organisation_id is not None:
        stmt = stmt.where(Recommendation.organisation_id == organisation_id)
    if decision_id is not None:
        stmt = stmt.where(Recommendation.decision_id == decision_id)
    if reference is not None:
        stmt = stmt.where(Recommendation.reference == reference)
    if filters.kind is not None:
        stmt = stmt.where(Recommendation.kind == filters.kind.value)
    if filters.recommended_by is not None:
        stmt = stmt.where(recommending.made_by(filters.recommended_by))
    if regulator_id is not None:
        stmt = stmt.where(
            exists().where(
                DecisionRegulator.decision_id == Recommendation.decision_id,
                DecisionRegulator.regulator_id == regulator_id,
            )
        )
    if (matched := matches(q, SearchType.recommendation, Recommendation.id)) is not None:
        stmt = stmt.where(matched)
    return stmt


# The fields of the list's items, in the read model's order (its JSON keeps this order).
ITEM_FIELDS = tuple(RecommendationRead.model_fields)


def _item_columns(as_of: dt.date | None) -> list[Any]:
    """The columns of a listed recommendation, read for the page's rows in one statement: its
    own, and its status and what is kept beside it (as of a day, derived from the history in
    the same statement). Today's are built once (`ITEM_COLUMNS_NOW`)."""
    return list(ITEM_COLUMNS_NOW) if as_of is None else _columns_of_item(as_of)


def _columns_of_item(as_of: dt.date | None) -> list[Any]:
    return [
        *(getattr(Recommendation, key) for key in READ_COLUMNS),
        recommending.LISTED,
        _precision(as_of),
        *_state_columns(as_of),
    ]


ITEM_COLUMNS_NOW = tuple(_columns_of_item(None))

# The names of those columns, in their order, then those of its provenance (origins.joined).
ITEM_COLUMNS = (
    *READ_COLUMNS,
    "recommended_by",
    "last_assessed_on_precision",
    *compliance.KEPT,
    *origins.NAMES,
)


def _rows(
    session: Session, filters: RecommendationFilter, *, sort: str, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """The page's rows of `_item_columns` (then `origins.NAMES`), in the list's order.

    Ordered by a column an index gives in order (the id), one statement: it stops after the
    page, so its subqueries run for the page's rows only. Ordered by a computed key, two: the
    page's ids (filters, order, cursor), then the columns of those rows only. One statement
    there made SQLite evaluate the recommending parties, the date's precision and the
    provenance (correlated subqueries) for every matching row before the sort could cut the
    page: 163 ms against 12 for the first page of 38,151 UPR recommendations by
    `-last_assessed_on`, 151 against 7 by `-due_on`."""
    as_of = filters.as_of
    orders = SORTS if as_of is None else sorts(as_of)  # today's orders are built once
    columns = _item_columns(as_of)
    if sort in orders and not orders[sort].computed:
        stmt = origins.joined(filtered(filters).with_only_columns(*columns), "recommendation", Recommendation)
        return paginate(session, stmt, sorts=orders, sort=sort, limit=limit, cursor=cursor)
    ids_stmt = filtered(filters).with_only_columns(Recommendation.id)
    page, next_cursor = paginate(session, ids_stmt, sorts=orders, sort=sort, limit=limit, cursor=cursor)
    ids = [row.id for row in page]
    if not ids:
        return [], next_cursor
    of_page = select(*columns).where(Recommendation.id.in_(ids))
    stmt = origins.joined(of_page, "recommendation", Recommendation)
    found = {row.id: row for row in session.execute(stmt)}
    return [found[id] for id in ids], next_cursor


def _items(
    session: Session, filters: RecommendationFilter, *, sort: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the list as plain values in the read model's fields (no ORM objects:
    building and tracking them cost more than the query)."""
    rows, next_cursor = _rows(session, filters, sort=sort, limit=limit, cursor=cursor)
    today = AsOf(filters.as_of).today
    columns = list(ITEM_COLUMNS)
    status_at, due_at = columns.index("status"), columns.index("due_on")
    items = []
    for row in rows:
        values = dict(zip(columns, row, strict=False))  # a computed sort key may follow: left out
        values["recommended_by"] = recommending.parse(values["recommended_by"])
        values["provenance"] = origins.from_values(values)
        status = values["status"] = Status(row[status_at])
        values["overdue"] = compliance.is_overdue(status, row[due_at], today)
        items.append({name: values[name] for name in ITEM_FIELDS})
    return items, next_cursor


def list_(
    session: Session,
    filters: RecommendationFilter | None = None,
    *,
    sort: str = "id",
    limit: int,
    cursor: str | None = None,
) -> Page[RecommendationRead]:
    items, next_cursor = _items(
        session, filters or RecommendationFilter(), sort=sort, limit=limit, cursor=cursor
    )
    return Page(items=[RecommendationRead.model_validate(i) for i in items], next_cursor=next_cursor)


def list_json(
    session: Session,
    filters: RecommendationFilter | None = None,
    *,
    sort: str = "id",
    limit: int,
    cursor: str | None = None,
) -> bytes:
    """The page as the API answers it: the JSON of `Page[RecommendationRead]`, byte for byte,
    written by pydantic's serializer from the row values without building or validating the
    models (tests/record/test_recommendation_lists.py compares the two)."""
    items, next_cursor = _items(
        session, filters or RecommendationFilter(), sort=sort, limit=limit, cursor=cursor
    )
    return to_json({"items": items, "next_cursor": next_cursor})


def count(session: Session, filters: RecommendationFilter) -> int:
    stmt = filtered(filters).with_only_columns(Recommendation.id).order_by(None)
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def start(session: Session, filters: RecommendationFilter, *, sort: str, cursor: str | None) -> int:
    return position(session, filtered(filters), sorts=sorts(filters.as_of), sort=sort, cursor=cursor)


def previous(
    session: Session, filters: RecommendationFilter, *, sort: str, cursor: str | None, limit: int
) -> str | None:
    """The cursor of the page before the one `cursor` starts ("" for the first; None on it)."""
    return previous_cursor(
        session, filtered(filters), sorts=sorts(filters.as_of), sort=sort, limit=limit, cursor=cursor
    )


def facets(session: Session, filters: RecommendationFilter) -> dict[str, dict[str, int]]:
    """How many recommendations each status has, and how many are overdue or not, among those
    the other filters keep."""

    def grouped(facet_filters: RecommendationFilter, value: Any) -> dict[str, int]:
        """Counts by `value` straight over the filtered SELECT."""
        stmt = filtered(facet_filters).with_only_columns(value, func.count()).order_by(None).group_by(value)
        return {str(k): int(n) for k, n in session.execute(stmt) if k is not None}

    by_status = grouped(filters.without("status"), compliance.status_expr(filters.as_of))
    overdue = grouped(
        filters.without("overdue"), case((compliance.overdue_clause(filters.as_of), "true"), else_="false")
    )
    return {
        "status": {s.value: by_status[s.value] for s in Status if s.value in by_status},
        "overdue": {k: overdue[k] for k in ("true", "false") if k in overdue},
    }


def assessment_reads(session: Session, found: Iterable[Assessment]) -> list[AssessmentRead]:
    """The reads of these assessments, each with where it was imported from (if it was)."""
    listed = list(found)
    imported = origins.of(session, "assessment", [a.id for a in listed])
    return [
        AssessmentRead.model_validate(a).model_copy(update={"provenance": imported.get(a.id)}) for a in listed
    ]


def histories(
    session: Session, *, recommendation_ids: Iterable[int], as_of: dt.date | None = None
) -> dict[int, list[Assessment]]:
    """The history of each recommendation, oldest first, in one query."""
    ids = list(recommendation_ids)
    out: dict[int, list[Assessment]] = {i: [] for i in ids}
    if not ids:
        return out
    stmt = select(Assessment).where(Assessment.recommendation_id.in_(ids), *AsOf(as_of).assessments())
    for a in session.scalars(stmt.order_by(Assessment.assessed_on, Assessment.id)):
        out[a.recommendation_id].append(a)
    return out


def latest_assessments(
    session: Session, *, limit: int, as_of: dt.date | None = None
) -> list[AssessmentActivity]:
    """The newest compliance changes (by the day they took effect), with what they are about."""
    stmt = (
        select(Assessment, Recommendation.text, Recommendation.decision_id, Decision.reference)
        .join(Recommendation, Recommendation.id == Assessment.recommendation_id)
        .join(Decision, Decision.id == Recommendation.decision_id)
        .where(compliance.COUNTS)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc())
        .limit(limit)
    )
    stmt = stmt.where(*AsOf(as_of).assessments(), *AsOf(as_of).decisions())
    return [
        AssessmentActivity.model_validate(
            AssessmentRead.model_validate(a).model_dump()
            | {"recommendation_text": text, "decision_id": decision_id, "decision_reference": reference}
        )
        for a, text, decision_id, reference in session.execute(stmt)
    ]

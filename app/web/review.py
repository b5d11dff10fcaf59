"""The review queue as pages, for editors: how far the review has come and what awaits it
(`/review`), then one reading at a time (`/review/assessments/{id}`): the recommendation beside
the reply with the matched sentence highlighted, the machine's status preselected. Saving
confirms it (the same status) or corrects it (another, with a note) and opens the next; "Next"
and "Previous" move without saving. Every step is a form post, so it all works without
JavaScript; app/web/static/site.js adds the keys (1 to 6 choose a status, Enter saves, j and k
move). The items are claimed (app/services/review/claims.py): two editors never hold one."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError, Invalid, PreconditionFailed
from app.labels import N_, gettext
from app.models import Assessment, Organisation, Recommendation
from app.schemas.common import MAX_ID
from app.schemas.review import ReviewConfirm, ReviewCorrect, ReviewFilter
from app.services.review import actions, claims, queue, reports
from app.services.shared import audit
from app.unit_of_work import SessionDep
from app.vocab import Status
from app.web.auth import EditorUser, PostedForm
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
FILTERS = ("kind", "dataset", "organisation_id", "suggested_status", "confidence")
# The confidence filter's choices: (value, ReviewFilter fields, words).
CONFIDENCE = {
    "below50": ({"confidence_below": 0.5}, N_("below 50%")),
    "below80": ({"confidence_below": 0.8}, N_("below 80%")),
    "below95": ({"confidence_below": 0.95}, N_("below 95%")),
    "atleast95": ({"confidence_at_least": 0.95}, N_("95% or more")),
}
PAGE = 20


def _filters(values: Any) -> tuple[ReviewFilter, dict[str, str]]:
    """The queue's filter from a query or a form (blank fields mean no filter), and the same as
    plain values to carry on in links and forms; 422 naming a bad field."""
    given = {k: str(values.get(k, "")).strip() for k in FILTERS}
    given = {k: v for k, v in given.items() if v}
    fields: dict[str, Any] = {k: v for k, v in given.items() if k != "confidence"}
    if "confidence" in given:
        if given["confidence"] not in CONFIDENCE:
            raise Invalid("Choose a confidence from the list.", [FieldError("confidence", "not a choice")])
        fields |= CONFIDENCE[given["confidence"]][0]
    try:
        return ReviewFilter.model_validate(fields), given
    except ValidationError as exc:
        errors = [FieldError(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
        raise Invalid(
            "The filters need correcting: " + "; ".join(e.field for e in errors) + ".", errors
        ) from exc


def _choices(session: Session) -> dict[str, Any]:
    """What the filters offer: the data sets and organisations that have machine readings."""
    datasets = sorted(
        {
            rule.split(":", 1)[0]
            for rule in session.scalars(select(Assessment.rule).where(queue.READINGS).distinct())
            if rule and ":" in rule
        }
    )
    organisations = session.execute(
        select(Organisation.id, Organisation.name)
        .where(
            Organisation.id.in_(
                select(Recommendation.organisation_id)
                .join(Assessment, Assessment.recommendation_id == Recommendation.id)
                .where(queue.READINGS)
            )
        )
        .order_by(func.lower(Organisation.name))
    ).all()
    return {
        "datasets": [(d, d) for d in datasets],
        "organisations": [(str(i), name) for i, name in organisations],
        "confidences": [(k, gettext(words)) for k, (_, words) in CONFIDENCE.items()],
    }


@router.get("/review", response_class=HTMLResponse, name="web_review")
def review_queue(request: Request, session: SessionDep, user: EditorUser) -> HTMLResponse:
    filters, given = _filters(request.query_params)
    if filters.kind == "report":
        page = reports.page(session, limit=PAGE, cursor=None)
    else:
        page = queue.list_(session, filters, limit=PAGE, cursor=None)
    resolved, total = reports.progress(session)
    return render(
        request,
        "review/queue.html",
        {"page": page, "given": given, "open_reports": total - resolved, **_choices(session)},
    )


@router.post("/review/next", name="web_review_next")
def review_next(request: Request, session: SessionDep, form: PostedForm) -> Response:
    """Claim the next reading (after or before the one given: "Next", "Previous") and open it."""
    filters, given = _filters(form)
    after, before = _optional_id(form, "after"), _optional_id(form, "before")
    return _open_next(request, session, filters, given, after=after, before=before)


def _open_next(
    request: Request,
    session: Session,
    filters: ReviewFilter,
    given: dict[str, str],
    *,
    after: int | None = None,
    before: int | None = None,
    notice: str | None = None,
) -> Response:
    found = claims.claim_next(session, filters, after=after, before=before)
    if found is None:
        return redirect_with_notice(_at(request, "web_review", given), "review_done", request)
    target = _at(request, "web_review_item", given, assessment_id=found.id)
    if notice is not None:
        return redirect_with_notice(target, notice, request)
    return RedirectResponse(target, status_code=303)


def _at(request: Request, name: str, given: dict[str, str], **params: Any) -> str:
    """The address of a page of the queue, keeping its filters."""
    path = request.url_for(name, **params).path
    return f"{path}?{urlencode(given)}" if given else path


def _optional_id(form: PostedForm, name: str) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Invalid(f"The form's {name} must be an id.", [FieldError(name, "is not an id", "int")])
    return int(raw)


def _item_page(
    request: Request,
    session: Session,
    assessment_id: int,
    given: dict[str, str],
    *,
    chosen: str | None = None,
    note: str = "",
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    reading = actions.get(session, assessment_id=assessment_id)
    [item] = queue.items(session, [reading])
    assert item.assessment is not None
    filters, _ = _filters(given)
    reviewed, total = queue.progress(session, filters)
    assessment = item.assessment
    evidence = assessment.evidence
    text = assessment.note or ""
    parts = (
        (text[: evidence.start], text[evidence.start : evidence.end], text[evidence.end :])
        if evidence is not None
        else (text, "", "")
    )
    claim = claims.holding(session, queue.ASSESSMENT, assessment_id)
    held_by_other = claim is not None and claim.holder != audit.actor(session)
    return render(
        request,
        "review/item.html",
        {
            "item": item,
            "parts": parts,
            "given": given,
            "reviewed": reviewed,
            "total": total,
            "statuses": list(Status),
            "chosen": chosen or assessment.status.value,
            "note": note,
            "held_by_other": held_by_other,
            "message": message,
            "version": reading.version,
        },
        status=status,
    )


@router.get("/review/assessments/{assessment_id}", response_class=HTMLResponse, name="web_review_item")
def review_item(request: Request, assessment_id: Id, session: SessionDep, user: EditorUser) -> HTMLResponse:
    _, given = _filters(request.query_params)
    return _item_page(request, session, assessment_id, given)


@router.post("/review/assessments/{assessment_id}", name="web_review_save")
def review_save(request: Request, assessment_id: Id, session: SessionDep, form: PostedForm) -> Response:
    """Save the review (the same status: confirmed; another: corrected, with the note) and open
    the next reading."""
    filters, given = _filters(form)
    chosen = str(form.get("status") or "")
    note = str(form.get("note") or "").strip()
    reading = actions.get(session, assessment_id=assessment_id)
    version = _optional_id(form, "version")
    try:
        if chosen not in Status._value2member_map_:
            raise Invalid("Choose one of the statuses.", [FieldError("status", "not a status", "enum")])
        action: ReviewConfirm | ReviewCorrect = (
            ReviewConfirm(action="confirm")
            if chosen == reading.status.value and not note
            else ReviewCorrect(action="correct", status=Status(chosen), note=note or None)
        )
        actions.review(session, assessment_id=assessment_id, action=action, expected_version=version)
    except (Invalid, Conflict, PreconditionFailed) as exc:
        session.rollback()
        return _item_page(
            request,
            session,
            assessment_id,
            given,
            chosen=chosen or None,
            note=note,
            message=exc.detail,
            status=exc.status,
        )
    return _open_next(request, session, filters, given, after=assessment_id, notice="reviewed")

"""Logging an assessment (append-only: logged, never edited) and retracting a mistaken one
(admin: kept in the history, marked)."""

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from app import clock
from app.config import get_settings
from app.errors import Conflict, Invalid, NotFound, TooLarge, UnsupportedMediaType
from app.labels import gettext
from app.schemas.recommendation import (
    AssessmentCreate,
    AssessmentRetract,
)
from app.services.evidence import documents, fetch
from app.services.record import decisions, recommendations
from app.unit_of_work import SessionDep
from app.web import forms
from app.web.auth import AdminForm, AdminUser, EditorUser, PostedForm
from app.web.edit_kinds import Id
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)

# -- Assessments (append-only: logged, never edited) ----------------------------------------


def _assessment_form(
    request: Request,
    session: Session,
    recommendation_id: int,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    rec = recommendations.read(session, recommendation_id=recommendation_id, as_of=None)
    return render(
        request,
        "forms/assessment.html",
        {
            "r": rec,
            "decision_reference": decisions.references(session, [rec.decision_id])[rec.decision_id],
            "values": values,
            "errors": errors or {},
            "message": message,
            "max_document_bytes": get_settings().max_document_bytes,
        },
        status=status,
    )


@router.get(
    "/recommendations/{recommendation_id}/assessments/new",
    response_class=HTMLResponse,
    name="web_assessment_new",
)
def assessment_new(
    request: Request, recommendation_id: Id, session: SessionDep, user: EditorUser
) -> HTMLResponse:
    values = {name: "" for name in forms.SCALARS["assessment"]}
    values |= {"assessed_on": clock.today().isoformat(), "asserted_by": "regulator"}
    return _assessment_form(request, session, recommendation_id, values=values)


@router.post("/recommendations/{recommendation_id}/assessments/new", name="web_assessment_create")
def assessment_create(
    request: Request, recommendation_id: Id, session: SessionDep, form: PostedForm
) -> Response:
    values = forms.values_from_form(form, "assessment")
    try:
        attached = _attach(session, form, values)
    except (Invalid, TooLarge, UnsupportedMediaType) as exc:
        # The file or the link could not be kept: said beside its field, nothing written.
        session.rollback()
        return _assessment_form(
            request,
            session,
            recommendation_id,
            values=values | {"archive_link": bool(form.get("archive_link"))},
            errors=forms.errors_of(exc.errors),
            message=exc.detail,
            status=exc.status,
        )
    if attached is not None:
        # Kept now, whatever the rest of the form says: a form sent back for a correction
        # names it in a hidden field, so the file need not be chosen again.
        values["document_id"] = str(attached)
        session.commit()
    try:
        data = AssessmentCreate.model_validate(forms.for_create(values))
        assessment = recommendations.add_assessment(session, recommendation_id=recommendation_id, data=data)
    except (ValidationError, Invalid) as exc:
        session.rollback()
        return _assessment_form(
            request,
            session,
            recommendation_id,
            # The link stays asked to be archived unless it already was.
            values=values | {"archive_link": bool(form.get("archive_link")) and attached is None},
            errors=forms.errors_of(exc.errors if isinstance(exc, Invalid) else exc),
            message=exc.detail if isinstance(exc, Invalid) else gettext("Some fields need correcting."),
            status=422,
        )
    rec = recommendations.read(session, recommendation_id=recommendation_id, as_of=None)
    target = request.url_for("web_decision", decision_id=rec.decision_id).path
    return redirect_with_notice(f"{target}#rec-{assessment.recommendation_id}", "assessed", request)


def _attach(session: Session, form: FormData, values: dict[str, Any]) -> int | None:
    """The archived copy the form asks for: a file attached (kept at once, by its SHA-256), or
    the source address to archive (fetched by the worker); None when neither."""
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        with upload.file:  # a spooled temporary file: closed once read
            data = upload.file.read() if upload.filename else b""
        if data:
            named = str(values.get("source_title") or upload.filename or "")
            document, _ = documents.upload(session, data=data, title=named[:500] or None)
            return document.id
    if form.get("archive_link") and values.get("source_url"):
        try:
            title = values.get("source_title") or None
            link = fetch.submitted(session, url=values["source_url"], title=title)
        except Invalid as exc:
            raise Invalid(exc.detail, [replace(e, field="source_url") for e in exc.errors]) from None
        return link.id
    return None


# -- Retracting a mistaken assessment (admin): kept in the history, marked -----------------


def _retract_page(
    request: Request,
    session: Session,
    recommendation_id: int,
    assessment_id: int,
    *,
    reason: str = "",
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    rec = recommendations.read(session, recommendation_id=recommendation_id, as_of=None)
    found = [
        a for a in recommendations.assessments(session, recommendation_id=rec.id) if a.id == assessment_id
    ]
    if not found:
        raise NotFound(f"Recommendation {recommendation_id} has no assessment {assessment_id}.")
    return render(
        request,
        "forms/retract.html",
        {
            "r": rec,
            "a": found[0],
            "decision_reference": decisions.references(session, [rec.decision_id])[rec.decision_id],
            "reason": reason,
            "errors": {"reason": error} if error else {},
            "message": error,
        },
        status=status,
    )


@router.get(
    "/recommendations/{recommendation_id}/assessments/{assessment_id}/retract",
    response_class=HTMLResponse,
    name="web_assessment_retract_form",
)
def assessment_retract_form(
    request: Request, recommendation_id: Id, assessment_id: Id, session: SessionDep, user: AdminUser
) -> HTMLResponse:
    return _retract_page(request, session, recommendation_id, assessment_id)


@router.post(
    "/recommendations/{recommendation_id}/assessments/{assessment_id}/retract",
    name="web_assessment_retract",
)
def assessment_retract(
    request: Request, recommendation_id: Id, assessment_id: Id, session: SessionDep, form: AdminForm
) -> Response:
    raw = form.get("reason")
    reason = raw.strip() if isinstance(raw, str) else ""
    try:
        data = AssessmentRetract.model_validate({"reason": reason})
        recommendations.retract_assessment(
            session, recommendation_id=recommendation_id, assessment_id=assessment_id, reason=data.reason
        )
    except (ValidationError, Conflict) as exc:
        session.rollback()
        return _retract_page(
            request,
            session,
            recommendation_id,
            assessment_id,
            reason=reason[:50_000],
            error=exc.detail
            if isinstance(exc, Conflict)
            else gettext("Say why the assessment is retracted (up to 50,000 characters)."),
            status=exc.status if isinstance(exc, Conflict) else 422,
        )
    target = request.url_for("web_recommendation", recommendation_id=recommendation_id).path
    return redirect_with_notice(f"{target}#assessment-{assessment_id}", "retracted", request)

"""Readers' error reports as pages: "Report an error" on a decision's, a recommendation's or an
organisation's page opens a form anyone may send (a signed-in reader is told of the outcome by
e-mail; nobody else is mailed); editors accept or decline each from the review queue."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app import labels, security_log
from app.access import public
from app.errors import Conflict, DomainError, FieldError, Invalid, NotFound, PreconditionFailed
from app.labels import N_, gettext
from app.models import Assessment, ErrorReport, User
from app.schemas.common import MAX_ID
from app.schemas.review import MAX_REPORT_CHARACTERS, ReportAccept, ReportCreate, ReportDecline
from app.services.review import claims, reports
from app.services.shared import audit
from app.unit_of_work import SessionDep
from app.vocab import ReportTarget
from app.web import forms
from app.web.auth import EditorUser, PostedForm, Viewer, WebUser, check_form_token, refuse_cross_site
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
# What an accepted report may lead to, in words.
LED_TO = {
    "assessment": N_("An assessment"),
    "decision": N_("A decision"),
    "recommendation": N_("A recommendation"),
    "organisation": N_("An organisation"),
}


def _target_name(session: SessionDep, kind: ReportTarget, target_id: int) -> str:
    record = session.get(reports.TARGETS[kind], target_id)
    if record is None:
        raise NotFound(f"There is no {kind.value} {target_id} to report on.")
    return str(getattr(record, "title", None) or getattr(record, "name", None) or getattr(record, "text", ""))


def _form(
    request: Request,
    session: SessionDep,
    kind: ReportTarget,
    target_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "review/report_form.html",
        {
            "kind": kind,
            "target_id": target_id,
            "target_name": _target_name(session, kind, target_id),
            "values": values or {"text": "", "source_url": ""},
            "errors": errors or {},
            "message": message,
            "max_characters": MAX_REPORT_CHARACTERS,
        },
        status=status,
        headers=headers,
    )


@router.get("/report", response_class=HTMLResponse, name="web_report_form")
@public
def report_form(
    request: Request,
    session: SessionDep,
    target: Annotated[ReportTarget, Query()],
    id: Annotated[int, Query(ge=1, le=MAX_ID)],
) -> HTMLResponse:
    return _form(request, session, target, id)


def _target_of(form: Any) -> tuple[ReportTarget, int]:
    """The record a report form names (its hidden fields); 422 when it names none."""
    raw_kind, raw_id = str(form.get("target") or ""), str(form.get("id") or "").strip()
    if raw_kind not in ReportTarget._value2member_map_ or not raw_id.isdigit() or len(raw_id) > 16:
        raise Invalid("The form names no record to report on.", [FieldError("target", "names no record")])
    target_id = int(raw_id)
    if not 1 <= target_id <= MAX_ID:
        raise Invalid("The form names no record to report on.", [FieldError("id", "is not an id")])
    return ReportTarget(raw_kind), target_id


@router.post("/report", response_class=HTMLResponse, name="web_report")
@public
async def report(request: Request, session: SessionDep, user: Viewer) -> Response:
    """File a report from the form: anyone (limited per address), or a signed-in reader (the
    form's token checked, and told of the outcome by e-mail)."""
    refuse_cross_site(request)
    form = await request.form()
    if user is not None:
        check_form_token(request, form, user.csrf_token, user_id=user.id)
    # The database off the event loop, as every page's is.
    return await run_in_threadpool(_report, request, session, user, form)


def _report(request: Request, session: Session, user: WebUser | None, form: FormData) -> Response:
    kind, target_id = _target_of(form)
    values = {"text": str(form.get("text") or ""), "source_url": str(form.get("source_url") or "").strip()}
    account = session.scalar(select(User).where(User.id == user.id)) if user is not None else None
    client = security_log.client_address(request)
    try:
        data = ReportCreate.model_validate(
            {"target": {"type": kind, "id": target_id}, "text": values["text"]}
            | ({"source_url": values["source_url"]} if values["source_url"] else {})
        )
        reports.create(session, data=data, user=account, reporter_name=None, client=client)
    except ValidationError as exc:
        return _form(
            request,
            session,
            kind,
            target_id,
            values=values,
            errors=forms.errors_of(exc),
            message=gettext("Some fields need correcting."),
            status=422,
        )
    except DomainError as exc:
        session.rollback()
        return _form(
            request,
            session,
            kind,
            target_id,
            values=values,
            errors={e.field: e.message for e in exc.errors},
            message=exc.detail,
            status=exc.status,
            headers=exc.headers,
        )
    target = request.url_for(f"web_{kind.value}", **{f"{kind.value}_id": target_id}).path
    return redirect_with_notice(target, "reported", request)


# -- Editors: accept or decline ----------------------------------------------------------------


def _report_page(
    request: Request,
    session: SessionDep,
    report_id: int,
    *,
    message: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    found = reports.get(session, report_id=report_id)
    [item] = reports.items(session, [found])
    claim = claims.holding(session, reports.REPORT, report_id)
    return render(
        request,
        "review/report.html",
        {
            "item": item,
            "r": item.report,
            "target_name": _target_name(session, found.target_kind, found.target_id)
            if session.get(reports.TARGETS[found.target_kind], found.target_id) is not None
            else None,
            "held_by_other": claim is not None and claim.holder != audit.actor(session),
            "message": message,
            "values": values or {"note": "", "reason": "", "led_to_kind": "", "led_to_id": ""},
            "led_to": [(k, labels.gettext(words)) for k, words in LED_TO.items()],
            "led_to_url": _led_to_url(request, session, found),
            "progress": reports.progress(session),
        },
        status=status,
    )


def _led_to_url(request: Request, session: SessionDep, report: ErrorReport) -> str | None:
    """Where the change an accepted report led to is shown (an assessment: in its
    recommendation's history)."""
    kind, led_id = report.led_to_kind, report.led_to_id
    if kind is None or led_id is None:
        return None
    if kind == "assessment":
        assessment = session.get(Assessment, led_id)
        if assessment is None:
            return None
        path = request.url_for("web_recommendation", recommendation_id=assessment.recommendation_id).path
        return f"{path}#assessment-{led_id}"
    return str(request.url_for(f"web_{kind}", **{f"{kind}_id": led_id}).path)


@router.get("/review/reports/{report_id}", response_class=HTMLResponse, name="web_review_report")
def review_report(request: Request, report_id: Id, session: SessionDep, user: EditorUser) -> HTMLResponse:
    return _report_page(request, session, report_id)


@router.post("/review/reports/next", name="web_review_report_next")
def review_report_next(request: Request, session: SessionDep, form: PostedForm) -> Response:
    found = reports.claim_next(session)
    if found is None:
        return redirect_with_notice(request.url_for("web_review").path, "review_done", request)
    return RedirectResponse(request.url_for("web_review_report", report_id=found.id).path, status_code=303)


@router.post("/review/reports/{report_id}", name="web_review_report_save")
def review_report_save(request: Request, report_id: Id, session: SessionDep, form: PostedForm) -> Response:
    values = {k: str(form.get(k) or "").strip() for k in ("note", "reason", "led_to_kind", "led_to_id")}
    raw_version = str(form.get("version") or "")
    try:
        action: ReportAccept | ReportDecline
        if form.get("action") == "decline":
            action = ReportDecline.model_validate({"action": "decline", "reason": values["reason"]})
        else:
            led_to = (
                {"type": values["led_to_kind"], "id": values["led_to_id"]}
                if values["led_to_kind"] or values["led_to_id"]
                else None
            )
            action = ReportAccept.model_validate(
                {"action": "accept", "note": values["note"] or None, "led_to": led_to}
            )
        version = int(raw_version) if raw_version.isdigit() else None
        reports.resolve(session, report_id=report_id, action=action, expected_version=version)
    except ValidationError as exc:
        session.rollback()
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _report_page(request, session, report_id, message=problems, status=422, values=values)
    except (Conflict, PreconditionFailed, NotFound) as exc:
        session.rollback()
        return _report_page(request, session, report_id, message=exc.detail, status=exc.status, values=values)
    return redirect_with_notice(
        request.url_for("web_review").path + "?kind=report", "report_resolved", request
    )

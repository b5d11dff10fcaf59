"""The editing pages: create and edit forms for every record, and logging an assessment.

Each form posts, then redirects to the record (post/redirect/get). A refused form is shown
again with the input as typed: invalid input with each error beside its field (422); an
edit made against a version that has changed since the form was opened with a clear
message (409). Nothing a refused form asked for is written: the transaction is rolled back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.api.deps import SessionDep
from app.errors import Conflict, Forbidden, Invalid, NotFound, PreconditionFailed
from app.schemas.case import CaseCreate, CaseUpdate
from app.schemas.common import MAX_ID
from app.schemas.decision import DecisionCreate, DecisionUpdate
from app.schemas.organisation import OrganisationCreate, OrganisationUpdate
from app.schemas.recommendation import (
    AssessmentCreate,
    AssessmentRetract,
    RecommendationCreate,
    RecommendationUpdate,
)
from app.schemas.regulator import RegulatorCreate, RegulatorUpdate
from app.services import cases, decisions, duplicates, organisations, recommendations, regulators
from app.vocab import Role
from app.web import forms
from app.web.auth import AdminForm, AdminUser, EditorUser, PostedForm
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

STALE = (
    "Someone changed this record after you opened the form, so your changes were not saved. "
    "They are kept below. Compare them with the current record: the fields that differ are "
    "listed with its value beside yours. To save yours over it, tick the box below the list; "
    "saving again without it is refused."
)
STALE_AGAIN = (
    "The record still differs from your input (or changed again), and the box to save yours "
    "over it was not ticked, so nothing was saved. Compare the fields below."
)


@dataclass(frozen=True)
class Kind:
    """What the generic form pages need to know about one kind of record."""

    name: str  # the form's key in forms.SCALARS
    label: str
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    create: Callable[[Session, Any], Any]
    update: Callable[[Session, int, Any, int | None], Any]
    read: Callable[[Session, int], Any]
    page: str  # route name of the record's page
    defaults: dict[str, Any]
    choices: Callable[[Session], dict[str, Any]] = lambda session: {}


KINDS = {
    "regulators": Kind(
        "regulator",
        "regulator",
        RegulatorCreate,
        RegulatorUpdate,
        lambda s, data: regulators.create(s, data=data),
        lambda s, id, data, v: regulators.update(s, regulator_id=id, data=data, expected_version=v),
        lambda s, id: regulators.read(s, regulator_id=id, as_of=None),
        "web_regulator",
        {"kind": "regulator"},
    ),
    "organisations": Kind(
        "organisation",
        "organisation",
        OrganisationCreate,
        OrganisationUpdate,
        lambda s, data: organisations.create(s, data=data),
        lambda s, id, data, v: organisations.update(s, organisation_id=id, data=data, expected_version=v),
        lambda s, id: organisations.read(s, organisation_id=id, as_of=None),
        "web_organisation",
        {"kind": "company"},
    ),
    "cases": Kind(
        "case",
        "case",
        CaseCreate,
        CaseUpdate,
        lambda s, data: cases.create(s, data=data),
        lambda s, id, data, v: cases.update(s, case_id=id, data=data, expected_version=v),
        lambda s, id: cases.read(s, case_id=id, as_of=None),
        "web_case",
        {},
    ),
    "decisions": Kind(
        "decision",
        "decision",
        DecisionCreate,
        DecisionUpdate,
        lambda s, data: _create_decision(s, data),
        lambda s, id, data, v: decisions.update(s, decision_id=id, data=data, expected_version=v),
        lambda s, id: decisions.read(s, decision_id=id, as_of=None),
        "web_decision",
        {},
    ),
    "recommendations": Kind(
        "recommendation",
        "recommendation",
        RecommendationCreate,
        RecommendationUpdate,
        lambda s, data: recommendations.create(s, data=data),
        lambda s, id, data, v: recommendations.update(s, recommendation_id=id, data=data, expected_version=v),
        lambda s, id: recommendations.read(s, recommendation_id=id, as_of=None),
        "web_recommendation",
        {"kind": "recommendation"},
    ),
}


def blank_values(kind: Kind, **given: str) -> dict[str, Any]:
    values: dict[str, Any] = {name: "" for name in forms.SCALARS[kind.name]}
    if kind.name == "decision":
        values |= {name: [] for name in forms.ROWS}
    return values | kind.defaults | given


def show_form(
    request: Request,
    session: Session,
    kind: Kind,
    *,
    values: dict[str, Any],
    record: Any = None,
    version: int | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
    stale: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        f"forms/{kind.name}.html",
        {
            "stale": stale,
            "kind": kind,
            "values": forms.display_choices(session, kind.name, values),
            "record": record,
            "version": version,
            "errors": errors or {},
            "message": message,
            **kind.choices(session),
        },
        status=status,
    )


def _page_url(request: Request, kind: Kind, record_id: int) -> str:
    param = f"{kind.name}_id"
    return str(request.url_for(kind.page, **{param: record_id}).path)


def save(
    request: Request,
    session: Session,
    kind: Kind,
    *,
    values: dict[str, Any],
    write: Callable[[], Any],
    record: Any = None,
    version: int | None = None,
    redirect: Callable[[Any], str],
    again: bool = False,
) -> Response:
    """Run `write`; on success redirect, else roll back and show the form again (`again`: a
    refused stale edit posted again without the box that overrides it)."""
    try:
        saved = write()
    except ValidationError as exc:
        session.rollback()
        return show_form(
            request,
            session,
            kind,
            values=values,
            record=record,
            version=version,
            errors=forms.errors_of(exc),
            message="Some fields need correcting.",
            status=422,
        )
    except PreconditionFailed:
        session.rollback()
        current = kind.read(session, record.id)
        # The form keeps the version the user opened: only the box ticked beside the
        # differences (which names the version they were shown) lets a save through.
        return show_form(
            request,
            session,
            kind,
            values=values,
            record=current,
            version=version,
            message=STALE_AGAIN if again else STALE,
            status=409,
            stale={
                "seen_version": current.version,
                "diff": differences(session, kind, forms.values_from_read(current, kind.name), values),
            },
        )
    except (Invalid, Conflict) as exc:
        session.rollback()
        errors = forms.errors_of(exc.errors)
        return show_form(
            request,
            session,
            kind,
            values=values,
            record=record,
            version=version,
            errors=errors,
            message=exc.detail,
            status=exc.status,
        )
    except IntegrityError:
        session.rollback()
        return show_form(
            request,
            session,
            kind,
            values=values,
            record=record,
            version=version,
            message="The change conflicts with the record as it stands; nothing was saved.",
            status=409,
        )
    return redirect_with_notice(redirect(saved), "saved", request)


def _create_decision(session: Session, data: DecisionCreate) -> Any:
    """The same act already recorded is refused (naming it); a near match is created, and its
    page says so."""
    duplicates.refuse_exact(session, data)
    return decisions.create(session, data=data)


def _row_text(row: dict[str, Any]) -> str:
    return " · ".join(str(v) for k, v in row.items() if v and k != "create")


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(t for t in (_row_text(r) for r in value) if t)
    return str(value or "").strip()


def differences(
    session: Session, kind: Kind, current: dict[str, Any], mine: dict[str, Any]
) -> list[tuple[str, str, str]]:
    """(field, the record's value now, the user's) for each field where they differ."""
    theirs = forms.display_choices(session, kind.name, current)
    yours = forms.display_choices(session, kind.name, mine)
    out = []
    for name, value in theirs.items():
        a, b = _shown(value), _shown(yours.get(name, ""))
        if a.replace("\r\n", "\n") != b.replace("\r\n", "\n"):
            out.append((name.replace("_id", "").replace("_", " "), a, b))
    return out


def _expected_version(form: Any) -> tuple[int, bool]:
    """The version a post may overwrite, and whether it came back from a stale refusal
    without the override: the one the form was opened at, or, when the user ticked the box
    shown beside the differences, the version those differences were taken from."""
    seen = form.get("seen_version")
    if form.get("overwrite") == "on" and isinstance(seen, str) and seen.isdigit() and len(seen) < 19:
        return int(seen), False
    return _version(form), isinstance(seen, str)


def _version(form: Any) -> int:
    """The version the edit form was opened at; a missing or malformed one (0) never matches,
    so such a post is refused as stale rather than saved unchecked."""
    raw = form.get("version")
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 19:
        return int(raw)
    return 0


def _routes(collection: str, kind: Kind) -> None:
    def new_form(request: Request, session: SessionDep, user: EditorUser) -> HTMLResponse:
        given = {
            k: v for k, v in request.query_params.items() if k in forms.SCALARS[kind.name] and len(v) < 100
        }
        return show_form(request, session, kind, values=blank_values(kind, **given))

    def create(request: Request, session: SessionDep, form: PostedForm) -> Response:
        values = forms.values_from_form(form, kind.name)
        return save(
            request,
            session,
            kind,
            values=values,
            write=lambda: kind.create(
                session,
                kind.create_schema.model_validate(
                    forms.resolve_choices(session, kind.name, forms.for_create(values))
                ),
            ),
            redirect=lambda obj: _after_save(request, kind, obj),
        )

    def edit_form(request: Request, session: SessionDep, user: EditorUser, record_id: Id) -> HTMLResponse:
        record = kind.read(session, record_id)
        return show_form(
            request,
            session,
            kind,
            values=forms.values_from_read(record, kind.name),
            record=record,
            version=record.version,
        )

    def edit(request: Request, session: SessionDep, form: PostedForm, record_id: Id) -> Response:
        record = kind.read(session, record_id)
        values = forms.values_from_form(form, kind.name)
        expected, again = _expected_version(form)
        version = _version(form)
        return save(
            request,
            session,
            kind,
            values=values,
            record=record,
            version=version,
            write=lambda: kind.update(
                session,
                record.id,
                kind.update_schema.model_validate(
                    forms.resolve_choices(session, kind.name, forms.payload(values))
                ),
                expected,
            ),
            redirect=lambda obj: _after_save(request, kind, obj),
            again=again,
        )

    name = f"web_{kind.name}"
    _form_routes(f"/{collection}/new", new_form, f"{name}_new", create, f"{name}_create")
    _form_routes(f"/{collection}/{{record_id}}/edit", edit_form, f"{name}_edit", edit, f"{name}_update")


def _form_routes(path: str, show: Any, show_name: str, submit: Any, submit_name: str) -> None:
    """A form page: GET shows it, POST submits it, at the same address."""
    router.add_api_route(path, show, methods=["GET"], response_class=HTMLResponse, name=show_name)
    router.add_api_route(path, submit, methods=["POST"], name=submit_name)


def _after_save(request: Request, kind: Kind, obj: Any) -> str:
    if kind.name == "recommendation":
        return str(request.url_for("web_decision", decision_id=obj.decision_id).path) + f"#rec-{obj.id}"
    return _page_url(request, kind, obj.id)


for _collection, _kind in KINDS.items():
    _routes(_collection, _kind)


# -- Deleting a record (editor; a recommendation with assessments, admin) ----------------------

# Each kind's delete, with the same rules as the API's DELETE (the services check them).
DELETES: dict[str, Callable[[Session, int, int | None, Role], None]] = {
    "regulators": lambda s, id, v, role: regulators.delete(s, regulator_id=id, expected_version=v),
    "organisations": lambda s, id, v, role: organisations.delete(s, organisation_id=id, expected_version=v),
    "cases": lambda s, id, v, role: cases.delete(s, case_id=id, expected_version=v),
    "decisions": lambda s, id, v, role: decisions.delete(s, decision_id=id, expected_version=v),
    "recommendations": lambda s, id, v, role: recommendations.delete(
        s, recommendation_id=id, expected_version=v, role=role
    ),
}
# Where to go once it is gone: the list of its kind.
LISTS = {
    "regulators": "web_regulators",
    "organisations": "web_organisations",
    "cases": "web_cases",
    "decisions": "web_decisions",
    "recommendations": "web_recommendations",
}


def record_title(record: Any) -> str:
    """How a record is named on its delete page."""
    for name in ("reference", "name", "title"):
        value = getattr(record, name, None)
        if value:
            return str(value)
    text = str(getattr(record, "text", ""))
    return text if len(text) <= 120 else text[:119] + "…"


def _delete_page(
    request: Request,
    session: Session,
    kind: Kind,
    record: Any,
    *,
    version: int,
    message: str | None = None,
    can_delete: bool = True,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "forms/delete.html",
        {
            "kind": kind,
            "record": record,
            "title": record_title(record),
            "page_url": _page_url(request, kind, record.id),
            "version": version,
            "message": message,
            "can_delete": can_delete,
        },
        status=status,
    )


def _delete_routes(collection: str, kind: Kind) -> None:
    remove = DELETES[collection]

    def delete_form(request: Request, session: SessionDep, user: EditorUser, record_id: Id) -> HTMLResponse:
        """The confirmation page; `version` is the one the record's page showed (the delete
        is then refused if the record changed since)."""
        record = kind.read(session, record_id)
        seen = _version(request.query_params) if "version" in request.query_params else record.version
        message = None
        if seen != record.version:
            message = (
                f"This {kind.label} changed after you opened its page; deleting from here would "
                "be refused. Look at the record as it stands now first."
            )
        return _delete_page(request, session, kind, record, version=seen, message=message)

    def delete(
        request: Request, session: SessionDep, user: EditorUser, form: PostedForm, record_id: Id
    ) -> Response:
        record = kind.read(session, record_id)
        version = _version(form)
        try:
            remove(session, record.id, version, user.role)
        except PreconditionFailed:
            session.rollback()
            current = kind.read(session, record_id)
            return _delete_page(
                request,
                session,
                kind,
                current,
                version=current.version,
                message=f"Someone changed this {kind.label} after you opened this page, so it was not "
                "deleted. Look at the record as it stands now before deleting it.",
                status=409,
            )
        except (Conflict, Forbidden) as exc:
            session.rollback()
            return _delete_page(
                request,
                session,
                kind,
                record,
                version=record.version,
                message=f"It was not deleted: {exc.detail}",
                can_delete=False,
                status=exc.status,
            )
        target = str(request.url_for(LISTS[collection]).path)
        if kind.name == "recommendation":
            target = str(request.url_for("web_decision", decision_id=record.decision_id).path)
        return redirect_with_notice(target, "deleted", request)

    _form_routes(
        f"/{collection}/{{record_id}}/delete",
        delete_form,
        f"web_{kind.name}_delete_form",
        delete,
        f"web_{kind.name}_delete",
    )


for _collection, _kind in KINDS.items():
    _delete_routes(_collection, _kind)


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
        data = AssessmentCreate.model_validate(forms.for_create(values))
        assessment = recommendations.add_assessment(session, recommendation_id=recommendation_id, data=data)
    except ValidationError as exc:
        session.rollback()
        return _assessment_form(
            request,
            session,
            recommendation_id,
            values=values,
            errors=forms.errors_of(exc),
            message="Some fields need correcting.",
            status=422,
        )
    except Invalid as exc:
        session.rollback()
        return _assessment_form(
            request,
            session,
            recommendation_id,
            values=values,
            errors=forms.errors_of(exc.errors),
            message=exc.detail,
            status=422,
        )
    rec = recommendations.read(session, recommendation_id=recommendation_id, as_of=None)
    target = request.url_for("web_decision", decision_id=rec.decision_id).path
    return redirect_with_notice(f"{target}#rec-{assessment.recommendation_id}", "assessed", request)


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
    except ValidationError:
        session.rollback()
        return _retract_page(
            request,
            session,
            recommendation_id,
            assessment_id,
            reason=reason[:50_000],
            error="Say why the assessment is retracted (up to 50,000 characters).",
            status=422,
        )
    except Conflict as exc:
        session.rollback()
        return _retract_page(
            request,
            session,
            recommendation_id,
            assessment_id,
            reason=reason[:50_000],
            error=exc.detail,
            status=409,
        )
    target = request.url_for("web_recommendation", recommendation_id=recommendation_id).path
    return redirect_with_notice(f"{target}#assessment-{assessment_id}", "retracted", request)

"""Deleting a record from its page (editor; a recommendation with assessments, admin): a
confirmation page, then the same rules as the API's DELETE (the services check them)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from app.errors import Conflict, Forbidden, PreconditionFailed
from app.labels import gettext
from app.services.record import cases, decision_edits, organisations, recommendations, regulators
from app.unit_of_work import SessionDep
from app.vocab import Role
from app.web.auth import EditorUser, PostedForm
from app.web.edit_kinds import KINDS, Id, Kind, form_routes, form_version, page_url
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)

# -- Deleting a record (editor; a recommendation with assessments, admin) ----------------------

# Each kind's delete, with the same rules as the API's DELETE (the services check them).
DELETES: dict[str, Callable[[Session, int, int | None, Role], None]] = {
    "regulators": lambda s, id, v, role: regulators.delete(s, regulator_id=id, expected_version=v),
    "organisations": lambda s, id, v, role: organisations.delete(s, organisation_id=id, expected_version=v),
    "cases": lambda s, id, v, role: cases.delete(s, case_id=id, expected_version=v),
    "decisions": lambda s, id, v, role: decision_edits.delete(s, decision_id=id, expected_version=v),
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
            "page_url": page_url(request, kind, record.id),
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
        seen = form_version(request.query_params) if "version" in request.query_params else record.version
        message = None
        if seen != record.version:
            message = gettext(
                "It changed after you opened its page; deleting from here would be refused. "
                "Look at the record as it stands now first."
            )
        return _delete_page(request, session, kind, record, version=seen, message=message)

    def delete(
        request: Request, session: SessionDep, user: EditorUser, form: PostedForm, record_id: Id
    ) -> Response:
        record = kind.read(session, record_id)
        version = form_version(form)
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
                message=gettext(
                    "Someone changed it after you opened this page, so it was not deleted. "
                    "Look at the record as it stands now before deleting it."
                ),
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
                message=gettext("It was not deleted: %(why)s") % {"why": exc.detail},
                can_delete=False,
                status=exc.status,
            )
        target = str(request.url_for(LISTS[collection]).path)
        if kind.name == "recommendation":
            target = str(request.url_for("web_decision", decision_id=record.decision_id).path)
        return redirect_with_notice(target, "deleted", request)

    form_routes(
        router,
        f"/{collection}/{{record_id}}/delete",
        delete_form,
        f"web_{kind.name}_delete_form",
        delete,
        f"web_{kind.name}_delete",
    )


for _collection, _kind in KINDS.items():
    _delete_routes(_collection, _kind)

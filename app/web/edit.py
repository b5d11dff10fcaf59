"""The editing pages: create and edit forms for every record, and logging an assessment.

Each form posts, then redirects to the record (post/redirect/get). A refused form is shown
again with the input as typed: invalid input with each error beside its field (422); an
edit made against a version that has changed since the form was opened with a clear
message (409). Nothing a refused form asked for is written: the transaction is rolled back.

The delete pages are in app/web/edit_delete.py, the assessment pages in
app/web/edit_assessments.py (their routes join this router); what the pages know of each
kind of record is in app/web/edit_kinds.py.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, Invalid, PreconditionFailed
from app.labels import N_, gettext
from app.unit_of_work import SessionDep
from app.web import edit_assessments, edit_delete, forms
from app.web.auth import EditorUser, PostedForm
from app.web.edit_kinds import KINDS, Id, Kind, expected_version, form_routes, form_version, page_url
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)

STALE = N_(
    "Someone changed this record after you opened the form, so your changes were not saved. "
    "They are kept below. Compare them with the current record: the fields that differ are "
    "listed with its value beside yours. To save yours over it, tick the box below the list; "
    "saving again without it is refused."
)
STALE_AGAIN = N_(
    "The record still differs from your input (or changed again), and the box to save yours "
    "over it was not ticked, so nothing was saved. Compare the fields below."
)


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

    def refused(**shown: Any) -> HTMLResponse:
        session.rollback()
        return show_form(
            request, session, kind, values=values, version=version, **({"record": record} | shown)
        )

    try:
        saved = write()
    except ValidationError as exc:
        return refused(
            errors=forms.errors_of(exc), message=gettext("Some fields need correcting."), status=422
        )
    except PreconditionFailed:
        session.rollback()
        current = kind.read(session, record.id)
        # The form keeps the version the user opened: only the box ticked beside the
        # differences (which names the version they were shown) lets a save through.
        return refused(
            record=current,
            message=gettext(STALE_AGAIN if again else STALE),
            status=409,
            stale={
                "seen_version": current.version,
                "diff": differences(session, kind, forms.values_from_read(current, kind.name), values),
            },
        )
    except (Invalid, Conflict) as exc:
        return refused(errors=forms.errors_of(exc.errors), message=exc.detail, status=exc.status)
    except IntegrityError:
        return refused(
            message=gettext("The change conflicts with the record as it stands; nothing was saved."),
            status=409,
        )
    return redirect_with_notice(redirect(saved), "saved", request)


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
        expected, again = expected_version(form)
        version = form_version(form)
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
                    forms.resolve_choices(session, kind.name, forms.for_update(values, kind.name))
                ),
                expected,
            ),
            redirect=lambda obj: _after_save(request, kind, obj),
            again=again,
        )

    name = f"web_{kind.name}"
    form_routes(router, f"/{collection}/new", new_form, f"{name}_new", create, f"{name}_create")
    form_routes(
        router, f"/{collection}/{{record_id}}/edit", edit_form, f"{name}_edit", edit, f"{name}_update"
    )


def _after_save(request: Request, kind: Kind, obj: Any) -> str:
    if kind.name == "recommendation":
        return str(request.url_for("web_decision", decision_id=obj.decision_id).path) + f"#rec-{obj.id}"
    return page_url(request, kind, obj.id)


for _collection, _kind in KINDS.items():
    _routes(_collection, _kind)


router.include_router(edit_delete.router)
router.include_router(edit_assessments.router)

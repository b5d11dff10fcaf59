"""The possible duplicates, for editors: clusters of records that look like one, side by side
(titles, dates, amounts, parties), each pair with "merge…" (a page that shows what will move
and asks to confirm) and "not the same" (never suggested again); the merges made, each with
a button that undoes it."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from app.errors import FieldError, Invalid, NotFound
from app.models import Decision, Organisation
from app.schemas.common import MAX_ID
from app.services.dedupe import clusters, suspicions
from app.services.record import duplicates, merge_log, merges
from app.unit_of_work import SessionDep
from app.web.auth import EditorUser, PostedForm
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Into = Annotated[int, Query(ge=1, le=MAX_ID)]


@router.get("/duplicates", response_class=HTMLResponse, name="web_duplicates")
def duplicates_page(request: Request, session: SessionDep, user: EditorUser) -> HTMLResponse:
    found = {kind: clusters.clusters(session, kind) for kind in suspicions.KINDS}
    return render(
        request,
        "duplicates.html",
        {
            "decision_clusters": found["decision"],
            "organisation_clusters": found["organisation"],
            "pair_counts": {kind: sum(len(c.pairs) for c in found[kind]) for kind in found},
            "near_name": duplicates.NEAR_NAME,
        },
    )


def _int(form: PostedForm, name: str) -> int:
    raw = form.get(name)
    if not isinstance(raw, str) or not raw.strip().isdigit() or len(raw.strip()) > 18:
        raise Invalid(f"The form's {name} must be a record id.", [FieldError(name, "is not an id", "int")])
    return int(raw)


def _confirm(request: Request, session: Any, kind: str, merged_id: int, into: int) -> HTMLResponse:
    # The preview first: it loads both records with their parts (and 404s a missing one).
    moves = merges.preview(session, kind=kind, merged_id=merged_id, into=into)
    model = Decision if kind == "decision" else Organisation
    merged, kept = session.get(model, merged_id), session.get(model, into)
    if merged is None or kept is None:
        raise NotFound(f"There is no {kind} with id {merged_id if merged is None else into}.")
    return render(
        request, "merge_confirm.html", {"kind": kind, "merged": merged, "kept": kept, "moves": moves}
    )


@router.get(
    "/organisations/{organisation_id}/merge",
    response_class=HTMLResponse,
    name="web_organisation_merge_confirm",
)
def confirm_organisation_merge(
    request: Request, organisation_id: Id, into: Into, session: SessionDep, user: EditorUser
) -> HTMLResponse:
    return _confirm(request, session, "organisation", organisation_id, into)


@router.get("/decisions/{decision_id}/merge", response_class=HTMLResponse, name="web_decision_merge_confirm")
def confirm_decision_merge(
    request: Request, decision_id: Id, into: Into, session: SessionDep, user: EditorUser
) -> HTMLResponse:
    return _confirm(request, session, "decision", decision_id, into)


@router.post("/organisations/{organisation_id}/merge", name="web_organisation_merge")
def merge_organisation(
    request: Request, organisation_id: Id, session: SessionDep, form: PostedForm
) -> RedirectResponse:
    kept = merges.merge_organisation(
        session,
        organisation_id=organisation_id,
        into=_int(form, "into"),
        expected_version=_int(form, "version"),
    )
    return redirect_with_notice(
        str(request.url_for("web_organisation", organisation_id=kept.id).path), "merged", request
    )


@router.post("/decisions/{decision_id}/merge", name="web_decision_merge")
def merge_decision(
    request: Request, decision_id: Id, session: SessionDep, form: PostedForm
) -> RedirectResponse:
    kept = merges.merge_decision(
        session, decision_id=decision_id, into=_int(form, "into"), expected_version=_int(form, "version")
    )
    return redirect_with_notice(
        str(request.url_for("web_decision", decision_id=kept.id).path), "merged", request
    )


@router.post("/duplicates/dismiss", name="web_duplicates_dismiss")
def dismiss(request: Request, session: SessionDep, form: PostedForm) -> RedirectResponse:
    kind = form.get("kind")
    if kind not in suspicions.KINDS:
        raise Invalid(
            "The form's kind must be decision or organisation.", [FieldError("kind", "unknown", "enum")]
        )
    suspicions.dismiss(session, kind=str(kind), ids=[_int(form, "first"), _int(form, "second")])
    return redirect_with_notice(str(request.url_for("web_duplicates").path), "dismissed", request)


@router.get("/merges", response_class=HTMLResponse, name="web_merges")
def merges_page(request: Request, session: SessionDep, user: EditorUser) -> HTMLResponse:
    entries = merge_log.list_(session, limit=200)
    names: dict[str, dict[int, str]] = {
        "decision": dict(
            session.execute(
                select(Decision.id, Decision.reference).where(
                    Decision.id.in_([e.into_id for e in entries if e.kind == "decision"])
                )
            ).all()
        ),
        "organisation": dict(
            session.execute(
                select(Organisation.id, Organisation.name).where(
                    Organisation.id.in_([e.into_id for e in entries if e.kind == "organisation"])
                )
            ).all()
        ),
    }
    return render(request, "merges.html", {"entries": entries, "names": names})


@router.post("/merges/{merge_id}/undo", name="web_merge_undo")
def undo(request: Request, merge_id: Id, session: SessionDep, form: PostedForm) -> RedirectResponse:
    entry = merge_log.undo(session, merge_id=merge_id, expected_version=_int(form, "version"))
    target = (
        request.url_for("web_decision", decision_id=entry.merged_id)
        if entry.kind == "decision"
        else request.url_for("web_organisation", organisation_id=entry.merged_id)
    )
    return redirect_with_notice(str(target.path), "undone", request)

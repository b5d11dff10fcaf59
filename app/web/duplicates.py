"""The possible duplicates, for editors: decisions and organisations that look like one, each
pair with a button that merges the newer into the older."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from app.errors import FieldError, Invalid
from app.models import Decision, Organisation
from app.schemas.common import MAX_ID
from app.services.record import duplicates, merges
from app.unit_of_work import SessionDep
from app.web.auth import EditorUser, PostedForm
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/duplicates", response_class=HTMLResponse, name="web_duplicates")
def duplicates_page(request: Request, session: SessionDep, user: EditorUser) -> HTMLResponse:
    decision_pairs = list(duplicates.decision_pairs(session))
    organisation_pairs = list(duplicates.organisation_pairs(session))
    versions = {
        "decision": dict(
            session.execute(
                select(Decision.id, Decision.version).where(
                    Decision.id.in_([p.second_id for p in decision_pairs])
                )
            ).all()
        ),
        "organisation": dict(
            session.execute(
                select(Organisation.id, Organisation.version).where(
                    Organisation.id.in_([p.second_id for p in organisation_pairs])
                )
            ).all()
        ),
    }
    return render(
        request,
        "duplicates.html",
        {
            "decision_pairs": decision_pairs,
            "organisation_pairs": organisation_pairs,
            "versions": versions,
            "near_name": duplicates.NEAR_NAME,
        },
    )


def _int(form: PostedForm, name: str) -> int:
    raw = form.get(name)
    if not isinstance(raw, str) or not raw.strip().isdigit() or len(raw.strip()) > 18:
        raise Invalid(f"The form's {name} must be a record id.", [FieldError(name, "is not an id", "int")])
    return int(raw)


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

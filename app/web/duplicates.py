"""The possible duplicates, for editors: decisions and organisations that look like one."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.api.deps import SessionDep
from app.services import duplicates
from app.web.auth import EditorUser
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/duplicates", response_class=HTMLResponse, name="web_duplicates")
def duplicates_page(request: Request, session: SessionDep, user: EditorUser) -> HTMLResponse:
    return render(
        request,
        "duplicates.html",
        {
            "decision_pairs": list(duplicates.decision_pairs(session)),
            "organisation_pairs": list(duplicates.organisation_pairs(session)),
            "near_name": duplicates.NEAR_NAME,
        },
    )

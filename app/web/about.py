"""/about: how the record reads (the rules behind every status, compliance, standing, overdue
and as_of, in words), and the data sets it holds, with their files, figures and caveats."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.access import public
from app.services.reporting import datasets
from app.unit_of_work import SessionDep
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/about", response_class=HTMLResponse, name="web_about")
@public
def about(request: Request, session: SessionDep) -> HTMLResponse:
    return render(request, "about.html", {"datasets": datasets.held(session)})

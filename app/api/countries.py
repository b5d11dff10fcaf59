from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.access import public
from app.api.common import READ, problems
from app.api.deps import SessionDep
from app.api.idempotency import ApiRoute
from app.schemas.country import CountryList
from app.schemas.filters import CountryFilter
from app.services.reporting import countries, csv_export
from app.vocab import CountrySort

router = APIRouter(route_class=ApiRoute, tags=["countries"])


@router.get("/countries", response_model=CountryList, responses=READ)
@public
def list_countries(
    session: SessionDep,
    filters: Annotated[CountryFilter, Query()],
    sort: CountrySort = CountrySort.decisions_desc,
) -> CountryList:
    """Countries side by side: per jurisdiction (by the regulator's country, or by the parties'
    with `by=organisation`), its decisions, penalties by currency (imposed, in force, contested),
    recommendation counts, `complied_share` and overdue, as of `as_of`. International bodies
    (the UN, the EU's institutions) are listed after the countries, as `international`."""
    return countries.listing(session, filters, sort=sort)


@router.get("/export/countries.csv", response_class=Response, responses=problems(400, 422))
@public
def export_countries_csv(
    session: SessionDep,
    filters: Annotated[CountryFilter, Query()],
    sort: CountrySort = CountrySort.decisions_desc,
) -> Response:
    """The countries' comparison as CSV: one row per jurisdiction, three columns per currency."""
    found = countries.listing(session, filters, sort=sort)
    return Response(
        csv_export.country_table(found.items),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="countries.csv"'},
    )

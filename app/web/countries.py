"""/countries: jurisdictions side by side (the API's `GET /api/v1/countries` as a page), with
a filter form, headings that sort, a chart of decisions and of penalties in force, and a link to
the same figures as CSV."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from app.access import public
from app.labels import gettext
from app.schemas.filters import CountryFilter
from app.services.reporting import countries
from app.unit_of_work import SessionDep
from app.vocab import CountrySort, JurisdictionKind
from app.web import charts, forms
from app.web.templating import render

router = APIRouter(include_in_schema=False)

CHART_ROWS = 16  # jurisdictions charted; past that, the last row sums the others


class CountryQuery(forms.BlanksMeanAny, CountryFilter):
    """The page's query: the API's filters and order."""

    sort: CountrySort = CountrySort.decisions_desc

    def filter(self) -> CountryFilter:
        return CountryFilter.model_validate(self.model_dump(include=set(CountryFilter.model_fields)))


def _chart_rows(rows: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    if len(rows) <= CHART_ROWS:
        return rows
    rest = rows[CHART_ROWS - 1 :]
    others = gettext("%(n)s others") % {"n": charts.count(len(rest))}
    return [*rows[: CHART_ROWS - 1], (others, sum(n for _, n in rest))]


def _charts(items: list[Any], currencies: list[str]) -> list[charts.Chart]:
    def named(item: Any) -> str:
        return charts.jurisdiction_name(item.jurisdiction)

    by_decisions = sorted(items, key=lambda i: (-i.decision_count, i.name))
    out = [
        charts.Chart(
            gettext("Decisions"),
            charts.bars(
                chart_id="chart-country-decisions",
                title=gettext("Decisions by jurisdiction"),
                rows=_chart_rows([(named(i), i.decision_count) for i in by_decisions if i.decision_count]),
                value_label=gettext("Decisions"),
                row_heading=gettext("Jurisdiction"),
                empty=gettext("No decisions."),
                names=True,
            ),
        )
    ]
    if currencies:
        currency = currencies[0]
        said = {"currency": currency}
        fined = sorted(
            (i for i in items if i.penalties_in_force.get(currency)),
            key=lambda i: (-i.penalties_in_force[currency], i.name),
        )
        out.append(
            charts.Chart(
                gettext("Penalties in force in %(currency)s") % said,
                charts.bars(
                    chart_id="chart-country-penalties",
                    title=gettext("Penalties in force in %(currency)s by jurisdiction") % said,
                    rows=_chart_rows([(named(i), i.penalties_in_force[currency]) for i in fined]),
                    value_label=gettext("Penalties in force (%(currency)s)") % said,
                    fmt=charts.amount,
                    short=charts.short_amount,
                    row_heading=gettext("Jurisdiction"),
                    empty=gettext("No penalty in %(currency)s in force.") % said,
                    names=True,
                ),
            )
        )
    return out


@router.get("/countries", response_class=HTMLResponse, name="web_countries")
@public
def country_page(request: Request, session: SessionDep) -> HTMLResponse:
    params = dict(request.query_params)
    try:
        query, errors = CountryQuery.model_validate(params), {}
    except ValidationError as exc:
        query, errors = CountryQuery(), forms.errors_of(exc)
    context: dict[str, Any] = {"query": query, "errors": errors, "as_of": query.as_of, "listing": None}
    if not errors:
        listing = countries.listing(session, query.filter(), sort=query.sort)
        currencies = countries.currencies_of(listing.items)
        context |= {
            "listing": listing,
            "currencies": currencies,
            "nations": [i for i in listing.items if i.kind == JurisdictionKind.country],
            "international": [i for i in listing.items if i.kind == JurisdictionKind.international],
            "charts": _charts(listing.items, currencies),
        }
    return render(request, "countries.html", context, status=422 if errors else 200)

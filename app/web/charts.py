"""Charts as server-rendered SVG, no script: a row per category (a year, a country) with a
bar, stacked by series where there are several, and the total at its end.

Each chart is a <figure> with its text alternatives: the SVG is an image named by its
<title> and described by a <desc> giving every figure, the series have a legend in words,
and a table of the same figures follows for anyone who wants to read or copy them. Bars
scale to the page's width (the labels keep their size); each series' colour only repeats
what the legend and the table say.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal
from markupsafe import Markup, escape

from app import formats, language
from app.labels import gettext
from app.services.reporting.countries import describe
from app.services.reporting.figures import ChartFigures
from app.vocab import Compliance, DecisionKind, JurisdictionKind


def jurisdiction_name(code: str) -> str:
    """A jurisdiction in words for a chart's row: "United Kingdom", "United Nations (international)"."""
    name, kind = describe(code)
    if kind == JurisdictionKind.country:
        return formats.country(code, name)
    return gettext("%(name)s (international)") % {"name": name}


ROW = 30  # px per row
BAR = 20  # px bar height
LABEL_SHARE = 22  # % of the width for the row labels ("16 others" at 390 px)
BAR_SHARE = 58  # % of the width for the bars (the rest holds the totals)
# Charts whose rows are names (countries) give them more room, and shorten the longest to fit a
# phone's width ("United Nations…", whole in the row's tooltip, the description and the table).
NAME_SHARE = 36
NAME_CHARS = 15
PALETTE = 10  # series colours in site.css: .c-0 ... .c-9
MIN_WIDTH = Decimal(6)  # of 1000: the narrowest bar drawn for a figure that is not 0

Number = int | Decimal


def _html(template: str, *values: object) -> Markup:
    """`Markup(template).format(*values)` for a template of bare `{}` fields, the same text at
    a fraction of the cost (markupsafe's formatter escapes each field through Python's
    `string.Formatter`): each value escaped unless it is a number or markup, then put in place
    by `str.format`. With the rows written as text (`stacked_rows`), the dashboard's charts
    take 8.7 ms of CPU instead of 21.3, the same bytes (a record of 20,000 decisions: 27 years,
    10 kinds; most of the rest is Babel writing the amounts in the reader's language)."""
    return Markup(template.format(*(v if type(v) in _SAFE else escape(v) for v in values)))


# What needs no escaping: numbers, and markup already made.
_SAFE = frozenset({int, Decimal, Markup})


def _text(value: str) -> str:
    """Text made safe to write in HTML, as markupsafe escapes it."""
    return str(escape(value))


def count(n: Number) -> str:
    return formats.number(n)


def amount(n: Number) -> str:
    return format_decimal(Decimal(n), format="#,##0", locale=language.current())


def short_amount(n: Number) -> str:
    """An amount in few characters, for the end of a bar ("7.6 M", "7,6 M"); the table has it whole."""
    value = Decimal(n)
    units = ((Decimal(10) ** 9, gettext("bn")), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k"))
    for size, unit in units:
        if abs(value) >= size:
            return format_decimal(value / size, format="#,##0.0", locale=language.current()) + f" {unit}"
    return amount(value)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css: str  # the class giving its colour


def series_of(
    keys: Sequence[str], label: Callable[[str], str] = str, css: Mapping[str, str] | None = None
) -> list[Series]:
    """Series for `keys`, each labelled by `label`, coloured from the palette in order unless
    `css` names its class."""
    return [Series(k, label(k), (css or {}).get(k, f"c-{i % PALETTE}")) for i, k in enumerate(keys)]


def stacked_rows(
    *,
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, Mapping[str, Number]]],
    series: Sequence[Series],
    fmt: Callable[[Number], str] = count,
    short: Callable[[Number], str] | None = None,
    row_heading: str | None = None,
    empty: str | None = None,
    names: bool = False,
) -> Markup:
    """A chart of `rows` (label, value of each series key): one horizontal bar per row, its
    segments the series in order, its length the row's total relative to the largest. Figures
    are written by `fmt`, the totals at the bars' ends by `short` (when given). With `names`,
    the labels are names (wider, the longest shortened)."""
    row_heading = row_heading or gettext("Year")
    if not rows or not any(v for _, values in rows for v in values.values()):
        return _html('<p class="muted">{}</p>', empty or gettext("Nothing to show yet."))
    totals = [sum((values.get(s.key, 0) for s in series), start=0) for _, values in rows]
    top = max(totals) or 1
    several = len(series) > 1
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"

    def described(label: str, values: Mapping[str, Number], total: Number) -> str:
        parts = [f"{s.label} {fmt(values[s.key])}" for s in series if values.get(s.key)]
        return f"{label}: {fmt(total)}" + (f" ({', '.join(parts)})" if several and parts else "")

    desc = "; ".join(described(label, values, t) for (label, values), t in zip(rows, totals, strict=True))
    height = len(rows) * ROW + 4
    out = [
        _html('<figure class="chart-figure" id="{}">', chart_id),
        _html(
            '<svg class="hchart" width="100%" height="{}" role="img" aria-labelledby="{} {}">'
            '<title id="{}">{}</title><desc id="{}">{}.</desc>',
            height,
            title_id,
            desc_id,
            title_id,
            title,
            desc_id,
            desc,
        ),
    ]
    label_share, bar_share = (
        (NAME_SHARE, LABEL_SHARE + BAR_SHARE - NAME_SHARE) if names else (LABEL_SHARE, BAR_SHARE)
    )
    # The rows are most of the chart (a rect per figure): written as plain text from values
    # escaped once (the series' names and classes once per chart, each label once per row).
    seg = {s.key: _text(("seg sep " if several else "seg ") + s.css) for s in series}
    named = {s.key: _text(s.label) for s in series}
    text: list[str] = []
    for i, ((label, values), total) in enumerate(zip(rows, totals, strict=True)):
        y = i * ROW + 2
        row_label = _text(label)
        if names and len(label) > NAME_CHARS:
            shown = _text(label[: NAME_CHARS - 1].rstrip() + "…")
            text.append(
                f'<text x="0" y="{y + BAR - 5}" class="label"><title>{row_label}</title>{shown}</text>'
            )
        else:
            text.append(f'<text x="0" y="{y + BAR - 5}" class="label">{row_label}</text>')
        text.append(
            f'<svg x="{label_share}%" y="{y}" width="{bar_share}%" height="{BAR}" viewBox="0 0 1000 {BAR}"'
            ' preserveAspectRatio="none">'
        )
        x = Decimal(0)
        for s in series:
            v = values.get(s.key, 0)
            if not v:
                continue
            # The smallest figure still shows as a sliver (its number is beside it and in the table).
            width = max((Decimal(v) * 1000 / Decimal(top)).quantize(Decimal("0.1")), MIN_WIDTH)
            text.append(
                f'<rect x="{x}" y="0" width="{width}" height="{BAR}" class="{seg[s.key]}">'
                f"<title>{row_label}, {named[s.key]}: {_text(fmt(v))}</title></rect>"
            )
            x += width
        text.append("</svg>")
        text.append(
            f'<text x="100%" y="{y + BAR - 5}" text-anchor="end" class="value">'
            f"{_text((short or fmt)(total))}</text>"
        )
    out.append(Markup("".join(text)))
    out.append(Markup("</svg>"))
    if several:
        out.append(Markup('<ul class="legend" aria-label="{}">').format(gettext("Key")))
        for s in series:
            out.append(_html('<li><span class="swatch {}" aria-hidden="true"></span>{}</li>', s.css, s.label))
        out.append(Markup("</ul>"))
    out.append(table(title, rows, series, totals, fmt, row_heading))
    out.append(Markup("</figure>"))
    return Markup("").join(out)


def table(
    title: str,
    rows: Sequence[tuple[str, Mapping[str, Number]]],
    series: Sequence[Series],
    totals: Sequence[Number],
    fmt: Callable[[Number], str],
    row_heading: str,
) -> Markup:
    """The chart's figures as a table, folded under a summary."""
    several = len(series) > 1
    head = [_html('<th scope="col">{}</th>', row_heading)]
    if several:
        head += [_html('<th scope="col" class="num">{}</th>', s.label) for s in series]
    last = gettext("Total") if several else series[0].label
    head.append(_html('<th scope="col" class="num">{}</th>', last))
    body = []
    for (label, values), total in zip(rows, totals, strict=True):
        cells = [f'<th scope="row">{_text(label)}</th>']
        if several:
            cells += [f'<td class="num">{_text(fmt(values.get(s.key, 0)))}</td>' for s in series]
        cells.append(f'<td class="num">{_text(fmt(total))}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _html(
        '<details class="figures-table"><summary>{}</summary>'
        '<div class="scroll" tabindex="0" role="region" aria-label="{}">'
        '<table class="compact"><caption class="sr-only">{}</caption><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table></div></details>",
        gettext("The figures"),
        gettext("%(chart)s: the figures") % {"chart": title},
        title,
        Markup("").join(head),
        Markup("".join(body)),
    )


def bars(
    *,
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, Number]],
    value_label: str,
    fmt: Callable[[Number], str] = count,
    short: Callable[[Number], str] | None = None,
    row_heading: str | None = None,
    empty: str | None = None,
    names: bool = False,
) -> Markup:
    """A chart of one figure per row."""
    one = Series("value", value_label, "c-0")
    return stacked_rows(
        names=names,
        chart_id=chart_id,
        title=title,
        rows=[(label, {"value": v}) for label, v in rows],
        series=[one],
        fmt=fmt,
        short=short,
        row_heading=row_heading,
        empty=empty,
    )


def every_year(years: Sequence[int]) -> list[int]:
    """The years from the first to the last, none left out (a year without any shows as 0)."""
    return list(range(min(years), max(years) + 1)) if years else []


# The dashboard's charts, from the figures service.

COMPLIANCE_CSS = {c: f"s-{c}" for c in ("complied", "partially_complied", "not_complied", "pending", "none")}
CURRENCY_CHARTS = 4  # currencies charted (the most penalised); every one is in the totals table
COUNTRY_ROWS = 16  # countries charted; past that, the last row sums the others


@dataclass(frozen=True)
class Chart:
    heading: str
    svg: Markup


def dashboard_charts(figures: ChartFigures, label: Callable[[str], str] = str) -> dict[str, list[Chart]]:
    """The dashboard's charts by section: vocabulary values named by `label`, every text in the
    reader's language."""
    per_kind = gettext("Decisions per year by kind")
    per_compliance = gettext("Compliance of each year's decisions as they stand")
    per_country = gettext("Decisions by regulator's country")
    none_yet = gettext("No decisions yet.")
    years = every_year(list(figures.kinds_by_year))
    kinds = [k.value for k in DecisionKind if any(k in row for row in figures.kinds_by_year.values())]
    by_kind = stacked_rows(
        chart_id="chart-kinds",
        title=per_kind,
        rows=[(str(y), {k.value: n for k, n in figures.kinds_by_year.get(y, {}).items()}) for y in years],
        series=series_of(kinds, label),
        empty=none_yet,
    )
    states = [c.value for c in Compliance if any(c in row for row in figures.compliance_by_year.values())]
    compliance_years = every_year(list(figures.compliance_by_year))
    by_compliance = stacked_rows(
        chart_id="chart-compliance",
        title=per_compliance,
        rows=[
            (str(y), {c.value: n for c, n in figures.compliance_by_year.get(y, {}).items()})
            for y in compliance_years
        ],
        series=series_of(states, label, COMPLIANCE_CSS),
        empty=none_yet,
    )
    penalties = []
    for i, (currency, per_year) in enumerate(list(figures.penalties_by_currency.items())[:CURRENCY_CHARTS]):
        penalties.append(
            Chart(
                gettext("Penalties per year in %(currency)s") % {"currency": currency},
                bars(
                    chart_id=f"chart-penalties-{i}",
                    title=gettext("Penalties per year in %(currency)s") % {"currency": currency},
                    rows=[(str(y), per_year.get(y, Decimal(0))) for y in every_year(list(per_year))],
                    value_label=gettext("Penalties (%(currency)s)") % {"currency": currency},
                    fmt=amount,
                    short=short_amount,
                ),
            )
        )
    countries = [(jurisdiction_name(code), n) for code, n in figures.decisions_by_country]
    if len(countries) > COUNTRY_ROWS:
        rest = countries[COUNTRY_ROWS - 1 :]
        others = gettext("%(n)s others") % {"n": count(len(rest))}
        countries = [*countries[: COUNTRY_ROWS - 1], (others, sum(n for _, n in rest))]
    by_country = bars(
        chart_id="chart-countries",
        title=per_country,
        rows=countries,
        value_label=gettext("Decisions"),
        row_heading=gettext("Country"),
        empty=none_yet,
        names=True,
    )
    return {
        "decisions": [
            Chart(per_kind, by_kind),
            Chart(per_compliance, by_compliance),
        ],
        "penalties": penalties,
        "countries": [Chart(per_country, by_country)],
    }

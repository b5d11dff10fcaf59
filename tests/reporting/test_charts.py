"""The dashboard's charts: the SVG that app/web/charts.py writes (read back as XML), and the
figures service they draw, checked against the decisions the API lists."""

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from decimal import Decimal

from app.services import demo
from app.services.reporting.figures import ChartFigures
from app.vocab import Compliance, DecisionKind
from app.web import charts
from tests.conftest import Api

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # The inline SVG carries no namespace in HTML; give it one to read it as SVG.
    return ET.fromstring(str(markup).replace("<svg class=", f'<svg xmlns="{SVG[1:-1]}" class=', 1))


def svg_of(figure: ET.Element) -> ET.Element:
    found = figure.find(f"{SVG}svg")
    assert found is not None
    return found


KINDS = charts.series_of(["fine", "order", "judgment"])
ROWS = [
    ("2021", {"fine": 1}),
    ("2022", {"fine": 2, "order": 1, "judgment": 1}),
    ("2023", {}),
    ("2024", {"order": 2}),
]


def test_a_stacked_chart_draws_each_figure_to_scale() -> None:
    figure = parse(
        charts.stacked_rows(chart_id="k", title="Decisions per year by kind", rows=ROWS, series=KINDS)
    )
    svg = svg_of(figure)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "k-title k-desc"
    assert svg.findtext(f"{SVG}title") == "Decisions per year by kind"
    title = svg.find(f"{SVG}title")
    assert title is not None and title.get("id") == "k-title"
    assert svg.findtext(f"{SVG}desc") == (
        "2021: 1 (fine 1); 2022: 4 (fine 2, order 1, judgment 1); 2023: 0; 2024: 2 (order 2)."
    )
    labels = [t.text for t in svg.findall(f"{SVG}text[@class='label']")]
    values = [t.text for t in svg.findall(f"{SVG}text[@class='value']")]
    assert labels == ["2021", "2022", "2023", "2024"] and values == ["1", "4", "0", "2"]
    rows = svg.findall(f"{SVG}svg")
    assert len(rows) == 4
    # Lengths are relative to the largest total (4 -> 1000); segments follow the series order.
    segments = [
        [(r.get("class"), float(r.get("x", "")), float(r.get("width", ""))) for r in row] for row in rows
    ]
    assert segments[0] == [("seg sep c-0", 0.0, 250.0)]
    assert segments[1] == [
        ("seg sep c-0", 0.0, 500.0),
        ("seg sep c-1", 500.0, 250.0),
        ("seg sep c-2", 750.0, 250.0),
    ]
    assert segments[2] == []
    assert segments[3] == [("seg sep c-1", 0.0, 500.0)]
    tips = [r.findtext(f"{SVG}title") for r in rows[1]]
    assert tips == ["2022, fine: 2", "2022, order: 1", "2022, judgment: 1"]
    # The ids are unique and every reference resolves.
    ids = [e.get("id") for e in figure.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) and {"k-title", "k-desc"} <= set(ids)


def test_a_chart_has_a_legend_in_words_and_a_table_of_its_figures() -> None:
    figure = parse(charts.stacked_rows(chart_id="k", title="T", rows=ROWS, series=KINDS))
    legend = figure.find("ul[@class='legend']")
    assert legend is not None
    assert ["".join(li.itertext()) for li in legend] == ["fine", "order", "judgment"]
    table = figure.find("details/div/table")
    assert table is not None
    assert [th.text for th in table.findall("thead/tr/th")] == ["Year", "fine", "order", "judgment", "Total"]
    body = [[c.text for c in tr] for tr in table.findall("tbody/tr")]
    assert body == [
        ["2021", "1", "0", "0", "1"],
        ["2022", "2", "1", "1", "4"],
        ["2023", "0", "0", "0", "0"],
        ["2024", "0", "2", "0", "2"],
    ]


def test_one_series_bars_have_no_legend_and_write_amounts_short_at_the_bar_and_whole_elsewhere() -> None:
    markup = charts.bars(
        chart_id="p",
        title="Penalties per year in EUR",
        rows=[("2022", Decimal("60000000.00")), ("2023", Decimal("5200000.00"))],
        value_label="Penalties (EUR)",
        fmt=charts.amount,
        short=charts.short_amount,
    )
    figure = parse(markup)
    svg = svg_of(figure)
    assert figure.find("ul") is None
    assert [t.text for t in svg.findall(f"{SVG}text[@class='value']")] == ["60.0 M", "5.2 M"]
    assert svg.findtext(f"{SVG}desc") == "2022: 60,000,000; 2023: 5,200,000."
    widths = [float(r.get("width", "")) for r in svg.iter(f"{SVG}rect")]
    assert widths == [1000.0, 86.7]
    assert {r.get("class") for r in svg.iter(f"{SVG}rect")} == {"seg c-0"}  # one series: no separators
    table = figure.find("details/div/table")
    assert table is not None
    assert [th.text for th in table.findall("thead/tr/th")] == ["Year", "Penalties (EUR)"]


def test_the_smallest_figure_still_shows() -> None:
    markup = charts.bars(chart_id="s", title="T", rows=[("ES", 586), ("CA", 1), ("IM", 0)], value_label="N")
    svg = svg_of(parse(markup))
    assert [float(r.get("width", "")) for r in svg.iter(f"{SVG}rect")] == [1000.0, 6.0]


def test_what_a_chart_names_is_escaped() -> None:
    evil = '<script>alert("x")</script> & co'
    markup = charts.bars(chart_id="e", title=evil, rows=[(evil, 3)], value_label=evil, row_heading="Who")
    assert "<script>" not in markup
    svg = svg_of(parse(markup))
    assert svg.findtext(f"{SVG}title") == evil
    assert svg.findtext(f"{SVG}text[@class='label']") == evil


def test_every_name_is_escaped_in_every_place_it_is_written() -> None:
    """Series, rows (whole and shortened), tooltips, legend and table: what is written is the
    names as text, read back the same by an XML parser, with no element of their own."""
    evil = '<b>"Tom" & \'Jerry\'</b>'
    series = charts.series_of([evil, "fine"], label=lambda k: k)
    rows = [(evil, {evil: 2, "fine": 1}), ("x" + evil, {"fine": 3})]
    for names in (False, True):
        markup = charts.stacked_rows(
            chart_id="e", title=evil, rows=rows, series=series, row_heading=evil, names=names
        )
        assert "<b>" not in markup
        figure = parse(markup)
        assert not list(figure.iter("b")) and not list(figure.iter(f"{SVG}b"))
        svg = svg_of(figure)
        tooltips = [t.text for t in svg.iter(f"{SVG}title")]
        assert f"{evil}, {evil}: 2" in tooltips and f"x{evil}, fine: 3" in tooltips
        assert ["".join(li.itertext()) for li in figure.iter("li")] == [evil, "fine"]
        assert [th.text for th in figure.iter("th")][:2] == [evil, evil]
        if names:
            assert evil in tooltips  # a shortened row label keeps its whole name in its tooltip


def test_an_empty_chart_says_so_instead_of_drawing() -> None:
    for rows in ([], [("2021", {"fine": 0})]):
        markup = charts.stacked_rows(
            chart_id="z", title="T", rows=rows, series=KINDS, empty="No decisions yet."
        )
        assert markup == '<p class="muted">No decisions yet.</p>'


def test_short_amounts_and_every_year() -> None:
    assert [charts.short_amount(Decimal(v)) for v in ("950", "7552800", "1250000000", "12500")] == [
        "950",
        "7.6 M",
        "1.2 bn",
        "12.5 k",
    ]
    assert charts.every_year([2019, 2022, 2020]) == [2019, 2020, 2021, 2022]
    assert charts.every_year([]) == []


def test_the_dashboard_charts_from_the_figures() -> None:
    figures = ChartFigures(
        as_of=None,
        kinds_by_year={2020: {DecisionKind.fine: 2}, 2022: {DecisionKind.order: 1}},
        penalties_by_currency={c: {2020: Decimal(10)} for c in ("EUR", "GBP", "NOK", "PLN", "SEK")},
        compliance_by_year={
            2020: {Compliance.complied: 1, Compliance.none: 1},
            2022: {Compliance.pending: 1},
        },
        decisions_by_country=[("FR", 2), ("GB", 1)],
    )
    codes = [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "UN",
        "MT",
    ]
    many = ChartFigures(None, {}, {}, {}, [(code, 40 - i) for i, code in enumerate(codes)])
    countries = svg_of(parse(charts.dashboard_charts(many)["countries"][0].svg))
    labels = [t.text for t in countries.findall(f"{SVG}text[@class='label']")]
    # Countries in words; an international body named as one, never as a country.
    assert len(labels) == 16 and labels[-1] == "5 others" and labels[:2] == ["Austria", "Belgium"]
    assert labels[10] == "France" and charts.jurisdiction_name("UN") == "United Nations (international)"
    assert countries.findall(f"{SVG}text[@class='value']")[-1].text == str(sum(40 - i for i in range(15, 20)))
    made = charts.dashboard_charts(figures, label=lambda v: v.upper())
    kinds, compliance = (parse(c.svg) for c in made["decisions"])
    assert svg_of(kinds).findtext(f"{SVG}desc") == "2020: 2 (FINE 2); 2021: 0; 2022: 1 (ORDER 1)."
    assert svg_of(compliance).findtext(f"{SVG}desc") == (
        "2020: 2 (NONE 1, COMPLIED 1); 2021: 0; 2022: 1 (PENDING 1)."
    )
    assert {r.get("class") for r in svg_of(compliance).iter(f"{SVG}rect")} == {
        "seg sep s-complied",
        "seg sep s-none",
        "seg sep s-pending",
    }
    assert [c.heading for c in made["penalties"]] == [
        f"Penalties per year in {c}" for c in ("EUR", "GBP", "NOK", "PLN")
    ]
    assert svg_of(parse(made["countries"][0].svg)).findtext(f"{SVG}desc") == "France: 2; United Kingdom: 1."


def test_the_figures_agree_with_the_decisions_listed(api: Api) -> None:
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    for as_of in (None, "2022-06-01"):
        params = {"limit": 500} | ({"as_of": as_of} if as_of else {})
        items = api.ok(api.get("/api/v1/decisions", params=params))["items"]
        assert items
        kinds: dict[int, Counter[str]] = defaultdict(Counter)
        states: dict[int, Counter[str]] = defaultdict(Counter)
        penalties: dict[str, Counter[int]] = defaultdict(Counter)
        countries: Counter[str] = Counter()
        for d in items:
            year = int(d["issued_on"][:4])
            kinds[year][d["kind"]] += 1
            states[year][d["compliance"]] += 1
            if d["penalty_amount"] is not None:
                penalties[d["penalty_currency"]][year] += Decimal(d["penalty_amount"])
            countries.update({r["jurisdiction"][:2] for r in d["regulators"]})
        from app.services.reporting import figures as service

        with api.db.transaction(write=False) as session:
            got = service.charts(session, as_of=dt.date.fromisoformat(as_of) if as_of else None)
        assert {y: {k.value: n for k, n in row.items()} for y, row in got.kinds_by_year.items()} == kinds
        assert {
            y: {c.value: n for c, n in row.items()} for y, row in got.compliance_by_year.items()
        } == states
        assert got.penalties_by_currency == {c: dict(v) for c, v in penalties.items()}
        assert dict(got.decisions_by_country) == countries
        assert [n for _, n in got.decisions_by_country] == sorted(countries.values(), reverse=True)


def test_the_dashboard_shows_the_four_charts(api: Api) -> None:
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    html = api.get("/").text
    for chart_id, title in (
        ("chart-kinds", "Decisions per year by kind"),
        ("chart-compliance", "Compliance of each year&#39;s decisions as they stand"),
        ("chart-penalties-0", "Penalties per year in EUR"),
        ("chart-penalties-1", "Penalties per year in GBP"),
        ("chart-countries", "Decisions by regulator&#39;s country"),
    ):
        assert f'<title id="{chart_id}-title">{title}</title>' in html, chart_id
    # Kinds in words, not codes.
    assert "2022: 4 (Fine 4)" in html and "(fine 4)" not in html
    early = api.get("/", params={"as_of": "2000-01-01"}).text
    assert 'id="chart-kinds"' not in early and "No decisions yet." in early and "No penalties yet." in early

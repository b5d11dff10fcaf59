"""A mapping may say how precise a date column is (`issued_on_precision = { value = "year" }`):
a precision finer than the column's format carries is refused before anything is written,
naming the key; the dates read are kept as their month's or year's first day."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.errors import Invalid
from app.models import Assessment, Decision
from app.services.exchange.csv import mapping
from tests.exchange.test_csv_import import MAPPING, run, write

ISSUED = 'issued_on = {{ column = "day", format = ["%d/%m/%Y", "%Y"], missing = ["00/00/0000"] }}'


def with_precision(tmp_path: Path, decision: str, assessment: str = "") -> Path:
    text = MAPPING.format(encoding="utf-8").replace(
        ISSUED.replace("{{", "{").replace("}}", "}"),
        ISSUED.replace("{{", "{").replace("}}", "}") + "\n" + decision,
    )
    if assessment:
        text = text.replace("[assessment]\n", "[assessment]\n" + assessment + "\n", 1)
    m = tmp_path / "precise.toml"
    m.write_text(text, encoding="utf-8")
    return m


def test_a_precision_finer_than_the_column_carries_is_refused_naming_the_key(
    db: Database, tmp_path: Path
) -> None:
    _, c = write(tmp_path)
    # The column holds "03/02/2021" and "2020": read with "%Y" too, it carries only a year.
    for line, why in [
        ('issued_on_precision = { value = "day" }', "gives only a year: it cannot have the precision day"),
        ('issued_on_precision = { value = "month" }', "cannot have the precision month"),
        ('issued_on_precision = { value = "week" }', "'week' is not a precision"),
    ]:
        m = with_precision(tmp_path, line)
        with pytest.raises(Invalid) as refused:
            run(db, m, c)
        fields = {e.field: e.message for e in refused.value.errors}
        assert why in fields["decision.issued_on_precision"], fields
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 0


def test_a_month_format_cannot_give_days(tmp_path: Path) -> None:
    raw = {
        "format": "findings-mapping",
        "version": 1,
        "decision": {
            "reference": "ref",
            "title": "ref",
            "kind": {"value": "order"},
            "issued_on": {"column": "day", "format": "%m/%Y"},
            "issued_on_precision": {"value": "day"},
        },
        "regulator": {"name": "body", "jurisdiction": {"value": "FR"}},
    }
    with pytest.raises(Invalid) as refused:
        mapping.parse(raw)
    [error] = refused.value.errors
    assert error.field == "decision.issued_on_precision"
    assert "read with the format %m/%Y, which gives only a month" in error.message
    # A month, or a year, it can give.
    for precision in ("month", "year"):
        raw["decision"]["issued_on_precision"] = {"value": precision}  # type: ignore[index]
        assert mapping.parse(raw).spec("decision", "issued_on_precision") is not None


def test_dates_of_a_year_are_kept_as_the_year(db: Database, tmp_path: Path) -> None:
    _, c = write(tmp_path)
    m = with_precision(
        tmp_path,
        'issued_on_precision = { value = "year" }',
        'assessed_on_precision = { value = "year" }',
    )
    report = run(db, m, c)
    assert report.counts["decisions"]["created"] == 4
    with db.transaction(write=False) as s:
        kept = {d.reference: (str(d.issued_on), d.issued_on_precision) for d in s.scalars(select(Decision))}
        # 03/02/2021 read as the year 2021; "2020" as the year 2020.
        assert (kept["T-1"], kept["T-2"]) == (("2021-01-01", "year"), ("2020-01-01", "year"))
        assessed = {(str(a.assessed_on), a.assessed_on_precision) for a in s.scalars(select(Assessment))}
        assert assessed and all(day.endswith("-01-01") and p == "year" for day, p in assessed)


def test_without_a_precision_the_day_is_kept(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path)
    run(db, m, c)
    with db.transaction(write=False) as s:
        t1 = s.scalars(select(Decision).where(Decision.reference == "T-1")).one()
        assert (str(t1.issued_on), t1.issued_on_precision) == ("2021-02-03", "day")

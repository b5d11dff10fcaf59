"""CSV exports: filters, as_of, derived columns and spreadsheet safety."""

import contextlib
import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from app.schemas.filters import DecisionFilter
from app.services.reporting import csv_export
from app.services.reporting.csv_export import safe_cell
from tests.conftest import Api
from tests.record.test_demo import clearview_id, load_demo


def read_csv(api: Api, url: str, **params: str) -> list[dict[str, str]]:
    response = api.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (True, "true"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_formula_injection_is_defused(api: Api) -> None:
    reg = api.regulator("=cmd|' /C calc'!A0", "FR")
    org = api.organisation("@evil")
    d = api.decision(
        reg["id"],
        reference="-1+1",
        title="+SUM(1;2)",
        organisations=[{"organisation_id": org["id"], "role": "respondent"}],
    )
    api.recommendation(d["id"], org["id"], '=IMPORTXML("http://x")')
    [row] = read_csv(api, "/api/v1/export/decisions.csv")
    assert row["reference"] == "'-1+1" and row["title"] == "'+SUM(1;2)"
    assert row["regulators"] == "'=cmd|' /C calc'!A0"
    [rec] = read_csv(api, "/api/v1/export/recommendations.csv")
    assert rec["text"] == '\'=IMPORTXML("http://x")' and rec["organisation"] == "'@evil"
    assert rec["decision_reference"] == "'-1+1"


def test_decisions_csv_takes_the_list_filters_and_as_of(api: Api) -> None:
    load_demo(api)
    org = clearview_id(api)
    rows = read_csv(api, "/api/v1/export/decisions.csv", organisation_id=str(org), jurisdiction="CA")
    assert [r["reference"] for r in rows] == ["PIPEDA Findings #2021-001"]
    assert rows[0]["compliance"] == "partially_complied"
    assert rows[0]["recommendations_complied"] == "1" and rows[0]["recommendations_not_complied"] == "2"
    assert rows[0]["jurisdictions"] == "CA; CA-AB; CA-BC; CA-QC"
    listed = api.ok(api.get("/api/v1/decisions", params={"kind": "fine", "limit": 500}))["items"]
    fines = read_csv(api, "/api/v1/export/decisions.csv", kind="fine")
    assert [r["id"] for r in fines] == [str(d["id"]) for d in listed]
    ico = read_csv(api, "/api/v1/export/decisions.csv", q="ICO MPN")[0]
    assert ico["standing"] == "remitted" and ico["penalty_currency"] == "GBP"
    then = read_csv(api, "/api/v1/export/decisions.csv", q="ICO MPN", as_of="2024-01-01")[0]
    assert then["standing"] == "overturned"
    assert read_csv(api, "/api/v1/export/decisions.csv", as_of="2021-01-01") == []


def test_recommendations_csv_takes_the_list_filters_and_as_of(api: Api) -> None:
    load_demo(api)
    listed = api.ok(api.get("/api/v1/recommendations", params={"status": "not_complied"}))["items"]
    rows = read_csv(api, "/api/v1/export/recommendations.csv", status="not_complied")
    assert [r["id"] for r in rows] == [str(r["id"]) for r in listed] and rows
    assert {r["status"] for r in rows} == {"not_complied"}
    overdue = read_csv(api, "/api/v1/export/recommendations.csv", overdue="true")
    assert [r["overdue"] for r in overdue] == ["true"] and overdue[0]["due_on"] == "2022-12-17"
    # On 1 March 2023 the CNIL order was not yet assessed: pending (and overdue).
    march = read_csv(api, "/api/v1/export/recommendations.csv", as_of="2023-03-01", overdue="true")
    assert [(r["status"], r["last_assessed_on"]) for r in march] == [("pending", "")]


@pytest.mark.parametrize(
    "params",
    [{"as_of": "yesterday"}, {"compliance": "half"}, {"jurisdiction": "12"}, {"sort": "colour"}],
)
def test_bad_filters_are_problems(api: Api, params: dict[str, str]) -> None:
    response = api.get("/api/v1/export/decisions.csv", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_csv_pages_give_the_same_rows(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.services.reporting import csv_export

    load_demo(api)
    whole = read_csv(api, "/api/v1/export/recommendations.csv")
    decisions = read_csv(api, "/api/v1/export/decisions.csv")
    monkeypatch.setattr(csv_export, "PAGE", 2)
    assert read_csv(api, "/api/v1/export/recommendations.csv") == whole
    assert read_csv(api, "/api/v1/export/decisions.csv") == decisions
    # The demo's 8 recommendations and the payment obligations of its 5 fines.
    assert len(whole) == 13 and len(decisions) == 8
    assert sum(r["kind"] == "payment" for r in whole) == 5


# -- Queries: each part of a decision is read once ---------------------------------------------

PART_TABLES = (
    "decision_regulators",
    "decision_organisations",
    "findings",
    "decision_provisions",
    "decision_sources",
    "decision_tags",
    "decision_relations",
)


@contextlib.contextmanager
def statements(engine: Any) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_of(seen: list[str], table: str) -> int:
    """How many statements read `table` (as the FROM or a JOIN of a SELECT)."""
    pattern = re.compile(rf"\b(FROM|JOIN)\s+\"?{table}\"?\b", re.IGNORECASE)
    return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT") and pattern.search(s))


def many_decisions(api: Api, n: int) -> None:
    """`n` decisions with every kind of part (the regulator and organisation made once)."""
    regs = api.ok(api.get("/api/v1/regulators"))["items"]
    reg = regs[0] if regs else api.regulator()
    orgs = api.ok(api.get("/api/v1/organisations"))["items"]
    org = orgs[0] if orgs else api.organisation()
    listed = api.ok(api.get("/api/v1/decisions", params={"limit": 500}))["items"]
    first = listed[-1]["id"] if listed else None
    for i in range(len(listed), len(listed) + n):
        d = api.decision(
            reg["id"],
            reference=f"REF-{i}",
            organisations=[{"organisation_id": org["id"], "role": "respondent"}],
            provisions=["s. 5"],
            tags=["biometrics"],
            sources=[{"url": f"https://example.org/{i}"}],
            findings=[{"text": "Found"}],
            related=[] if first is None else [{"decision_id": first, "relation": "follow_up_of"}],
        )
        first = d["id"] if first is None else first
        api.recommendation(d["id"], org["id"], f"Do {i}")


def export_statements(api: Api) -> list[str]:
    with api.db.session() as session, statements(api.db.engine) as seen:
        text = "".join(csv_export.decision_rows(session, DecisionFilter()))
    assert text.count("REF-") >= 1
    return seen


def assert_each_part_read_once(seen: list[str]) -> None:
    """Each kind of part is read by one statement (a decision's links two: those it makes and
    those later decisions make to it), and no statement is run twice."""
    for table in PART_TABLES:
        expected = 2 if table == "decision_relations" else 1
        assert reads_of(seen, table) == expected, (table, [s for s in seen if table in s])
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == len(set(selects))


def test_decisions_csv_reads_each_part_once_whatever_the_number_of_decisions(api: Api) -> None:
    many_decisions(api, 2)
    few = export_statements(api)
    many_decisions(api, 6)
    many = export_statements(api)
    assert len(many) == len(few)
    assert_each_part_read_once(many)


def test_csv_columns_keep_their_order(api: Api) -> None:
    """The columns come from the read models (a field added there is a column); the order of
    the ones there now is the export's contract, whatever order the schema lists them in."""
    load_demo(api)
    for url, columns in (
        (
            "/api/v1/export/decisions.csv",
            "id reference title kind issued_on issued_on_precision regulators jurisdictions organisations "
            "respondents case_id "
            "penalty_amount penalty_currency penalty_standing penalty_paid provisions tags compliance "
            "standing "
            "recommendations "
            "recommendations_pending recommendations_complied recommendations_partially_complied "
            "recommendations_not_complied recommendations_disputed recommendations_withdrawn "
            "reported_amounts provenance_dataset provenance_file_sha256 provenance_row complied_share "
            "language translations summary",
        ),
        (
            "/api/v1/export/recommendations.csv",
            "id decision_id decision_reference organisation_id organisation reference kind text due_on "
            "status overdue last_assessed_on",
        ),
    ):
        response = api.get(url)
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert header == columns.split(), url

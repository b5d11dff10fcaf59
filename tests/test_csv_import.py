"""CSV import driven by a mapping file: matching, grouping, rejections, dry run, encodings."""

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import Database
from app.errors import Invalid
from app.models import Assessment, Decision, Organisation, Recommendation, Regulator
from app.services import csv_import, mapping
from tests.conftest import table_counts

MAPPING = """
format = "findings-mapping"
version = 1

[csv]
encoding = "{encoding}"
repair_mojibake = true
group_by = ["ref"]

[columns]
country = {{ column = "land", map = "countries", strict = true }}

[decision]
reference = {{ template = "T-{{ref}}" }}
title = {{ template = "Review {{ref}} of {{who}}" }}
kind = {{ value = "report_of_findings" }}
issued_on = {{ column = "day", format = ["%d/%m/%Y", "%Y"], missing = ["00/00/0000"] }}
penalty_amount = {{ column = "amount", missing = ["0"] }}
penalty_currency = {{ value = "EUR" }}
provisions = {{ column = "laws", split = ";" }}

[regulator]
name = "body"
jurisdiction = "country"

[regulator.aliases]
"Data Board" = ["The Data Board", "DB"]

[organisation]
name = "who"
kind = {{ column = "who", map = {{ "Ministry" = "public_body" }}, default = "company" }}
unnamed = ["Unknown"]

[organisation.aliases]
"Acme, Inc." = ["Acme", "ACME Inc"]

[recommendation]
text = "text"

[assessment]
status = {{ column = "position", map = "positions", strict = true }}
assessed_on = {{ column = "day", format = ["%d/%m/%Y", "%Y"] }}
asserted_by = {{ value = "organisation" }}
note = {{ template = "Said: {{position}}" }}

[maps.countries]
France = "FR"
"Côte d'Ivoire" = "CI"

[maps.positions]
yes = "pending"
done = "complied"
no = "not_complied"
unknown = ""
"""

CSV = (
    "ref,day,body,land,who,text,position,amount,laws\n"
    "1,03/02/2021,The Data Board,France,acme,Stop it,yes,1000,Art. 5; Art. 6\n"
    "1,03/02/2021,The Data Board,France,acme,Delete it,done,1000,\n"
    '2,2020,DB,France,Ministry,"Publish the list, with caveats",no,0,\n'
    "3,00/00/0000,Data Board,France,Acme,Bad date,yes,0,\n"
    "4,01/01/2019,Data Board,Atlantis,Acme,Where?,yes,0,\n"
    "5,01/01/2019,Data Board,France,Unknown,Unnamed party,maybe,0,\n"
    "5,01/01/2019,Data Board,France,Unknown,Fine row,unknown,0,\n"
    "\n"
    "6,01/01/2019,Data Board,France,Unknown,Too,many,fields,0,x,y\n"
    "7,31/12/2019,Data Board,Côte d'Ivoire,donâ€™t panic ltd,It\u2019s fine,yes,0,\n"
)


def write(tmp_path: Path, csv_text: str = CSV, encoding: str = "utf-8") -> tuple[Path, Path]:
    m = tmp_path / "m.toml"
    m.write_text(MAPPING.format(encoding=encoding), encoding="utf-8")
    c = tmp_path / "in.csv"
    c.write_bytes(csv_text.encode(encoding))
    return m, c


def run(db: Database, m: Path, c: Path, **kwargs: object) -> csv_import.Report:
    with db.transaction(actor="test") as session:
        return csv_import.import_csv_file(session, mapping.load(m), c, **kwargs)  # type: ignore[arg-type]


def test_import_creates_matches_and_rejects_with_reasons(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path)
    report = run(db, m, c)
    assert report.rows == 10
    rejected = {r.row: r.reason for r in report.rejected}
    assert report.created + report.matched + report.rejected_count == report.rows
    assert set(rejected) == {5, 6, 7, 9, 10}
    assert "issued_on: no value" in rejected[5] and "00/00/0000" in rejected[5]
    assert "'Atlantis' is not in the mapping's table" in rejected[6]
    assert "'maybe' is not in the mapping's table" in rejected[7]
    assert rejected[9] == "blank row"
    assert rejected[10] == "11 fields where the header has 9"
    assert report.counts["decisions"]["created"] == 4
    assert report.counts["recommendations"]["created"] == 5
    # "unknown" is no assessment.
    assert report.counts["assessments"]["created"] == 4
    assert report.counts["regulators"]["created"] == 1
    with db.transaction(write=False) as s:
        assert sorted(s.scalars(select(Regulator.name))) == ["Data Board"]
        regs = {r.name: r.jurisdiction for r in s.scalars(select(Regulator))}
        assert regs == {"Data Board": "FR"}
        orgs = {o.name: o.kind.value for o in s.scalars(select(Organisation))}
        # Aliases from the mapping: "acme" and "Acme" are one party, created under its name.
        assert orgs["Acme, Inc."] == "company" and orgs["Ministry"] == "public_body"
        # A placeholder name makes one party per decision.
        assert "Unknown (T-5)" in orgs
        # Mojibake repaired.
        assert "don\u2019t panic ltd" in orgs
        d1 = s.scalar(select(Decision).where(Decision.reference == "T-1"))
        assert d1 is not None and d1.penalty_amount == 1000 and d1.penalty_currency == "EUR"
        assert d1.compliance.value == "partially_complied"
        d2 = s.scalar(select(Decision).where(Decision.reference == "T-2"))
        assert d2 is not None and d2.penalty_amount is None and d2.penalty_currency is None
        assert str(d2.issued_on) == "2020-01-01"
        statuses = sorted(r.status.value for r in s.scalars(select(Recommendation)))
        assert statuses == ["complied", "not_complied", "pending", "pending", "pending"]
        assert {a.recorded_by for a in s.scalars(select(Assessment))} == {"test"}


def test_existing_parties_are_matched_by_name_and_alias(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path)
    with db.transaction(actor="test") as s:
        from app.schemas.organisation import OrganisationCreate
        from app.schemas.regulator import RegulatorCreate
        from app.services import organisations, regulators

        regulators.create(s, data=RegulatorCreate(name="DATA BOARD", jurisdiction="FR"))
        organisations.create(s, data=OrganisationCreate(name="Acme Holdings", aliases=["ACME INC"]))
    report = run(db, m, c)
    assert report.counts["regulators"] == {"created": 0, "matched": 1}
    assert report.counts["organisations"]["matched"] == 1
    with db.transaction(write=False) as s:
        assert list(s.scalars(select(Regulator.name))) == ["DATA BOARD"]
        assert s.scalar(select(Organisation.id).where(Organisation.name == "Acme, Inc.")) is None


def test_reimport_creates_nothing(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path)
    first = run(db, m, c)
    counts = table_counts(db)
    again = run(db, m, c)
    assert table_counts(db) == counts
    assert again.created == 0 and again.matched == first.created
    assert [r.row for r in again.rejected] == [r.row for r in first.rejected]


def test_dry_run_reports_and_changes_nothing(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, c = write(tmp_path)
    monkeypatch.setenv("DATABASE_URL", str(db.engine.url))
    get_settings.cache_clear()
    try:
        before = table_counts(db)
        result = CliRunner().invoke(cli, ["import-csv", str(m), str(c), "--dry-run"])
        assert result.exit_code == 0, result.output
        assert table_counts(db) == before
        assert "10 rows: 5 created, 0 matched, 5 rejected (dry run, nothing changed" in result.output
        assert "decisions: 4 would be created, 0 matched" in result.output
        assert "row 6: decision.regulator" not in result.output
        assert "row 7: assessment.status: 'maybe' is not in the mapping's table" in result.output
        result = CliRunner().invoke(cli, ["import-csv", str(m), str(c)])
        assert result.exit_code == 0, result.output
        assert "decisions: 4 were created" in result.output
        result = CliRunner().invoke(cli, ["import-csv", str(m), str(c), "--dry-run"])
        assert "10 rows: 0 created, 5 matched, 5 rejected" in result.output
    finally:
        get_settings.cache_clear()


def test_cp1252_file(db: Database, tmp_path: Path) -> None:
    text = CSV.replace("donâ€™t panic ltd,It\u2019s fine", "Société Générale,Ça va")
    m, c = write(tmp_path, text, encoding="cp1252")
    report = run(db, m, c)
    assert report.counts["decisions"]["created"] == 4
    with db.transaction(write=False) as s:
        assert s.scalar(select(Organisation.id).where(Organisation.name == "Société Générale"))


def test_a_decision_is_written_whole_or_not_at_all(db: Database, tmp_path: Path) -> None:
    # The second row of decision 1 has an assessment dated in the future: the service refuses
    # it, so the whole decision (and the party it would have created) is left out.
    text = CSV.replace(
        "1,03/02/2021,The Data Board,France,acme,Delete it",
        "1,03/02/2999,The Data Board,France,acme,Delete it",
    )
    text = text.replace("03/02/2021", "03/02/2999", 1).replace("03/02/2999", "03/02/2021", 1)
    m, c = write(tmp_path, text)
    report = run(db, m, c)
    rejected = {r.row: r.reason for r in report.rejected}
    assert "future" in rejected[2] and "future" in rejected[3]
    with db.transaction(write=False) as s:
        assert s.scalar(select(Decision.id).where(Decision.reference == "T-1")) is None
        assert s.scalar(select(Recommendation.id).where(Recommendation.text == "Stop it")) is None


@pytest.mark.parametrize(
    ("toml", "field"),
    [
        ('format = "x"', "format"),
        ('format = "findings-mapping"\nversion = 1\n[decision]\nreference = "a"', "regulator"),
        (
            'format = "findings-mapping"\nversion = 1\n[regulator]\nname = "a"\njurisdiction = "b"\n'
            '[decision]\nreference = "r"\ntitle = "t"\nkind = "k"\nissued_on = { column = "d", colour = 1 }',
            "decision.issued_on.colour",
        ),
        ("not toml = = =", "mapping"),
    ],
)
def test_bad_mappings_are_explained(tmp_path: Path, toml: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(Invalid) as info:
        mapping.load(path)
    assert field in [e.field for e in info.value.errors]


def test_missing_columns_and_wrong_encoding_are_explained(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path, "ref,day\n1,2020\n")
    with pytest.raises(Invalid, match="lacks the column"):
        run(db, m, c)
    # A Windows-1252 file read as UTF-8.
    m, c = write(tmp_path, CSV.replace("â€™", "'"), encoding="cp1252")
    m.write_text(m.read_text().replace('encoding = "cp1252"', 'encoding = "utf-8"'))
    with pytest.raises(Invalid, match="not utf-8"):
        run(db, m, c)


def test_repair_mojibake() -> None:
    assert mapping.repair_mojibake("donâ€™t â€“ CafÃ©") == "don\u2019t \u2013 Café"
    assert mapping.repair_mojibake("Zürich, São Paulo, Ægir") == "Zürich, São Paulo, Ægir"


def test_a_party_the_schemas_refuse_rejects_its_decision(db: Database, tmp_path: Path) -> None:
    long_name = "X" * 301
    m, c = write(tmp_path, CSV.replace("Ministry,", f"{long_name},"))
    report = run(db, m, c)
    [reason] = [r.reason for r in report.rejected if r.row == 4]
    assert reason.startswith("organisation.name: String should have at most 300 characters")


def test_an_over_long_field_rejects_only_its_row(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path, CSV.replace("Stop it", "x" * 200_000))
    report = run(db, m, c)
    [reason] = [r.reason for r in report.rejected if r.row == 2]
    assert reason.startswith("recommendation.text: String should have at most 50000 characters")
    assert report.counts["decisions"]["created"] == 4


def test_columns_named_in_templates_must_exist(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path, CSV.replace("ref,day,body,land,who,", "ref,day,body,land,party,"))
    with pytest.raises(Invalid) as info:
        run(db, m, c)
    assert [e.field for e in info.value.errors] == ["csv.who"]

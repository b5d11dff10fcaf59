"""CSV import driven by a mapping file: matching, grouping, rejections, dry run, encodings."""

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import Database
from app.errors import Invalid
from app.models import Assessment, Decision, Organisation, Recommendation, Regulator
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from app.vocab import Status
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
    # Five, and T-1's penalty's payment obligation.
    assert report.counts["recommendations"]["created"] == 6
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
        # T-1's three recommendations and two more, and T-1's penalty's payment obligation.
        assert statuses == ["complied", "not_complied", "pending", "pending", "pending", "pending"]
        [payment] = s.scalars(select(Recommendation).where(Recommendation.kind == "payment"))
        assert payment.decision_id == d1.id and payment.text == "Pay the penalty of EUR 1,000.00."
        assert {a.recorded_by for a in s.scalars(select(Assessment))} == {"test"}


def test_existing_parties_are_matched_by_name_and_alias(db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path)
    with db.transaction(actor="test") as s:
        from app.schemas.organisation import OrganisationCreate
        from app.schemas.regulator import RegulatorCreate
        from app.services.record import organisations, regulators

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
        # The count per status of the assessments it would create (every status named).
        line = next(x for x in result.output.splitlines() if "statuses of the assessments" in x)
        counted = dict(part.rsplit(" ", 1) for part in line.split(": ", 1)[1].split(", "))
        expected = {"pending": 2, "complied": 1, "not_complied": 1}
        assert counted == {s.value: str(expected.get(s.value, 0)) for s in Status}
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


# -- The classify spec and the other text specs -------------------------------------------

CLASSIFY = """
format = "findings-mapping"
version = 1

[csv]
group_by = ["ref"]

[columns]
verdict = {{ column = "reply", classify = [{{ match = "(?i)maybe", value = "perhaps" }}] }}

[decision]
reference = {{ template = "C-{{ref}}" }}
title = {{ template = "Report {{ref}}" }}
kind = {{ value = "report_of_findings" }}
issued_on = {{ column = "made", of_group = "min" }}

[regulator]
name = {{ value = "Board" }}
jurisdiction = {{ value = "NZ" }}

[organisation]
name = "who"

[recommendation]
reference = "num"
text = "text"

[assessment]
asserted_by = {{ value = "organisation" }}
note = {{ column = "reply", replace = {{ "_x000D_" = "" }} }}
assessed_on = {{ column = "reply", find = "(?m)^On (?P<value>\\\\d{{1,2}} [A-Z][a-z]+ \\\\d{{4}})", \
pick = "latest", format = ["%d %B %Y", "%Y-%m-%d"], default_column = "made" }}

[assessment.status]
column = "reply"
sections = "(?m)^On (?P<date>\\\\d{{1,2}} [A-Z][a-z]+ \\\\d{{4}})"
pick = "latest"
format = "%d %B %Y"
default = "pending"
classify = [
    {{ match = "(?i)^\\\\W*no reply\\\\W*$", value = "" }},
    {{ match = "(?i)reject", value = "not_complied" }},
    {{ match = "(?i)implemented", value = "complied" }},
    {{ match = "(?i){extra}", value = "{status}" }},
]
"""

CLASSIFY_CSV = (
    "ref,num,made,who,text,reply\n"
    '1,001/20,2020-05-02,Acme,Do A,"Accepted and implemented._x000D_\n"\n'
    "1,002/20,2020-05-01,Acme,Do B,We reject this; it was never implemented.\n"
    "1,002/20,2020-05-01,Bolt,Do B too,Will look at it.\n"
    '2,003/20,2020-06-01,Acme,Do C,"On 3 July 2020, Acme replied:\nRejected.\n'
    'On 9 August 2020, Acme replied:\nImplemented."\n'
    "2,004/20,2020-06-01,Acme,Do D,No reply.\n"
    "3,005/20,2020-06-01,Acme,Do E,We are considering it.\n"
)


def classify_files(tmp_path: Path, extra: str = "considering", status: str = "pending") -> tuple[Path, Path]:
    m = tmp_path / "c.toml"
    m.write_text(CLASSIFY.format(extra=extra, status=status), encoding="utf-8")
    c = tmp_path / "c.csv"
    c.write_text(CLASSIFY_CSV, encoding="utf-8")
    return m, c


def test_classify_first_rule_wins_default_and_none(db: Database, tmp_path: Path) -> None:
    m, c = classify_files(tmp_path, extra="considering", status="disputed")
    report = run(db, m, c)
    assert (report.created, report.rejected_count) == (6, 0)
    assert report.counts["assessments"]["created"] == 5  # "No reply." gives none
    assert dict(report.statuses) == {"complied": 2, "not_complied": 1, "pending": 1, "disputed": 1}
    with db.transaction(write=False) as s:
        got = {
            (r.reference, r.text): (
                r.status.value,
                r.last_assessed_on.isoformat() if r.last_assessed_on else None,
            )
            for r in s.scalars(select(Recommendation))
        }
        notes = list(s.scalars(select(Assessment.note).order_by(Assessment.id)))
        issued = {d.reference: d.issued_on.isoformat() for d in s.scalars(select(Decision))}
    assert got == {
        # "reject" comes before "implemented": the first matching rule wins.
        ("001/20", "Do A"): ("complied", "2020-05-02"),
        ("002/20", "Do B"): ("not_complied", "2020-05-01"),
        # The same number to another addressee is its own recommendation under that number (a
        # reference is unique within a decision and addressee); no rule matches: the default.
        ("002/20", "Do B too"): ("pending", "2020-05-01"),
        # The latest dated section governs, dated by its heading.
        ("003/20", "Do C"): ("complied", "2020-08-09"),
        ("004/20", "Do D"): ("pending", None),
        ("005/20", "Do E"): ("disputed", "2020-06-01"),
    }
    assert notes[0] == "Accepted and implemented."
    # Dated by the group's earliest row (of_group = "min").
    assert issued == {"C-1": "2020-05-01", "C-2": "2020-06-01", "C-3": "2020-06-01"}
    # Each recommendation is addressed to its own row's party; the decision names them all.
    with db.transaction(write=False) as s:
        names = {o.id: o.name for o in s.scalars(select(Organisation))}
        by_text = {r.text: names[r.organisation_id] for r in s.scalars(select(Recommendation))}
    assert by_text["Do B too"] == "Bolt" and by_text["Do B"] == "Acme"
    again = run(db, m, c)
    assert (again.created, again.matched) == (0, 6)
    assert again.counts["recommendations"] == {"created": 0, "matched": 6}


def test_a_classify_rule_that_backtracks_for_ever_rejects_only_its_row(db: Database, tmp_path: Path) -> None:
    """A mapping's regular expression stops after a time limit: `(a|aa)+$` on 34 `a`s and a `!`
    backtracks through millions of ways (seconds with the standard `re`, doubling with each
    `a`); the row is rejected naming the expression, and the others are imported."""
    m, c = classify_files(tmp_path, extra="(a|aa)+$", status="disputed")
    c.write_text(CLASSIFY_CSV + "4,006/20,2020-06-01,Acme,Do F," + "a" * 34 + "!\n", encoding="utf-8")
    report = run(db, m, c)
    rejected = {r.row: r.reason for r in report.rejected}
    assert list(rejected) == [8], rejected
    assert "(a|aa)+$" in rejected[8] and "took more than" in rejected[8]
    assert report.created == 6


@pytest.mark.parametrize(
    ("extra", "status", "field"),
    [
        ("consider(ing", "pending", "assessment.status.classify[3].match"),
        ("considering", "maybe_later", "assessment.status.classify[3].value"),
    ],
)
def test_bad_classify_rules_are_refused_naming_the_key(
    db: Database, tmp_path: Path, extra: str, status: str, field: str
) -> None:
    m, _ = classify_files(tmp_path, extra=extra, status=status)
    with pytest.raises(Invalid) as info:
        mapping.load(m)
    assert field in [e.field for e in info.value.errors]
    assert field in info.value.detail
    assert table_counts(db)["decisions"] == 0


def test_a_column_the_file_lacks_is_refused_naming_the_keys(db: Database, tmp_path: Path) -> None:
    m, c = classify_files(tmp_path)
    c.write_text(CLASSIFY_CSV.replace(",reply\n", ",answer\n", 1), encoding="utf-8")
    with pytest.raises(Invalid) as info:
        run(db, m, c)
    assert [e.field for e in info.value.errors] == ["csv.reply"]
    assert "assessment.status" in info.value.detail and "columns.verdict" in info.value.detail
    assert table_counts(db)["decisions"] == 0


def test_a_classified_status_outside_the_vocabulary_rejects_its_row(db: Database, tmp_path: Path) -> None:
    m, c = classify_files(tmp_path)
    # A derived column is not checked against a vocabulary when the mapping is read...
    text = m.read_text()
    m.write_text(text[: text.index("[assessment.status]")] + 'status = "verdict"\n')
    c.write_text(CLASSIFY_CSV.replace("We are considering it.", "Maybe."), encoding="utf-8")
    report = run(db, m, c)
    # ... so the row whose status is not one is rejected with its number.
    [rejection] = report.rejected
    assert rejection.row == 7 and rejection.reason.startswith("assessment.status: Input should be")


def test_text_specs() -> None:
    spec = mapping.parse(
        {
            "format": "findings-mapping",
            "version": 1,
            "columns": {
                "first": {"column": "t", "find": r"\d+", "pick": "first"},
                "last": {"column": "t", "find": r"(\d+)"},
                "latest": {"column": "t", "find": r"(?P<value>\d{4}-\d\d-\d\d)", "pick": "latest"},
                "clean": {"column": "t", "replace": {"_x000D_": "", "  ": " "}},
                "none": {"column": "t", "find": "zzz"},
            },
            "decision": {"reference": "t", "title": "t", "kind": "t", "issued_on": "t"},
            "regulator": {"name": "t", "jurisdiction": "t"},
        }
    )
    row = spec.derive({"t": "a 2021-03-04 b 2023-01-02 c 2022-12-31_x000D_  d"})
    # (the last number is the one in "_x000D_": this spec does not replace it)
    assert (row["first"], row["last"], row["latest"]) == ("2021", "000", "2023-01-02")
    assert row["clean"] == "a 2021-03-04 b 2023-01-02 c 2022-12-31 d" and row["none"] == ""
    for bad, field in [
        ({"column": "t", "pick": "middle", "find": "x"}, "columns.x.pick"),
        ({"column": "t", "sections": "("}, "columns.x.sections"),
        ({"column": "t", "classify": [{"match": "x"}]}, "columns.x.classify[0]"),
        ({"column": "t", "classify": []}, "columns.x.classify"),
        ({"column": "t", "replace": ["x"]}, "columns.x.replace"),
        ({"column": "t", "of_group": "min"}, "columns.x.of_group"),
    ]:
        with pytest.raises(Invalid) as info:
            mapping.parse(
                {
                    "format": "findings-mapping",
                    "version": 1,
                    "columns": {"x": bad},
                    "decision": {"reference": "t", "title": "t", "kind": "t", "issued_on": "t"},
                    "regulator": {"name": "t", "jurisdiction": "t"},
                }
            )
        assert field in [e.field for e in info.value.errors], (bad, info.value.errors)


def test_repair_mojibake_of_bytes_windows_1252_leaves_undefined() -> None:
    # The closing quote (E2 80 9D): 0x9D has no Windows-1252 character, so a decoder put U+009D.
    assert (
        mapping.repair_mojibake("\u201cWestport\u00e2\u20ac\u009d incident")
        == "\u201cWestport\u201d incident"
    )


# -- The batch path ------------------------------------------------------------------------


def test_batches_keep_the_rules_audit_search_and_compliance(db: Database, tmp_path: Path) -> None:
    from app.models import AuditEntry
    from app.models import Decision as D
    from app.services import compliance
    from app.services.record import decision_edits, decisions, organisations, recommendations
    from app.services.search import engine as search
    from app.services.shared import audit

    m, c = write(tmp_path)
    report = run(db, m, c, batch=2)
    with db.transaction(write=False) as s:
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        created = {kind: n["created"] for kind, n in report.counts.items()}
        by_entity: dict[str, int] = {}
        for e in entries:
            by_entity[e.entity] = by_entity.get(e.entity, 0) + 1
        # One audit entry per created record, each a "create" by the importer's actor.
        assert by_entity == {kind[:-1]: n for kind, n in created.items() if n}
        assert {(e.action, e.actor, e.before) for e in entries} == {("create", "test", None)}
        after = {(e.entity, e.entity_id): e.after for e in entries}
        # The entries say what the per-request services would have logged.
        for d in s.scalars(select(D).options(*decisions.LOAD)):
            logged, expected = after[("decision", d.id)], decision_edits.snapshot(d) | {"compliance": "none"}
            # The amount as given (as the services log it), the same number as stored.
            assert Decimal(logged.pop("penalty_amount") or 0) == Decimal(expected.pop("penalty_amount") or 0)
            assert logged == expected
        for r in s.scalars(select(Recommendation)):
            assert after[("recommendation", r.id)] == recommendations.snapshot(s, r) | {
                "status": "pending",
                "last_assessed_on": None,
                "status_origin": None,
                "status_reviewed": None,
                "suggested_status": None,
            }
        for a in s.scalars(select(Assessment)):
            assert after[("assessment", a.id)] == audit.row(a)
        for o in s.scalars(select(Organisation).options(*organisations.LOAD)):
            assert after[("organisation", o.id)] == organisations.snapshot(o)
        for g in s.scalars(select(Regulator)):
            assert after[("regulator", g.id)] == audit.row(g)
        # The search index has them.
        hits = search.search(s, q="caveats", limit=10).items
        assert [h.type.value for h in hits] == ["recommendation"]
        assert search.search(s, q="Acme", limit=10).items[0].title == "Acme, Inc."
        kept = {r.id: (r.status, r.last_assessed_on) for r in s.scalars(select(Recommendation))}
        kept_compliance = {d.id: d.compliance for d in s.scalars(select(D))}
        assert (
            kept_compliance[s.scalar(select(D.id).where(D.reference == "T-1"))].value == "partially_complied"
        )
    # The kept status and compliance are what the history gives.
    with db.transaction(actor="test") as s:
        compliance.refresh_all(s)
        assert {r.id: (r.status, r.last_assessed_on) for r in s.scalars(select(Recommendation))} == kept
        assert {d.id: d.compliance for d in s.scalars(select(D))} == kept_compliance
        s.rollback()


def test_an_interrupted_import_is_safe_to_run_again(db: Database, other_db: Database, tmp_path: Path) -> None:
    m, c = write(tmp_path)
    clean = run(other_db, m, c)

    class Stop(Exception):
        pass

    session = db.session(write=True)
    session.info["actor"] = "test"

    def stop_after_two(done: int, total: int) -> None:
        if done >= 4:
            raise Stop

    try:
        with pytest.raises(Stop):
            csv_import.import_csv_file(
                session, mapping.load(m), c, batch=1, checkpoint=session.commit, progress=stop_after_two
            )
    finally:
        session.rollback()
        session.close()
    partial = table_counts(db)
    assert 0 < partial["decisions"] < table_counts(other_db)["decisions"]
    resumed = run(db, m, c)
    assert resumed.counts["decisions"]["matched"] == partial["decisions"]
    assert (
        resumed.counts["decisions"]["created"] + partial["decisions"] == clean.counts["decisions"]["created"]
    )
    # The same record; each of the two runs that wrote something is kept as where its records
    # came from (tests/exchange/test_provenance.py), the clean import being one.
    resumed_counts, clean_counts = table_counts(db), table_counts(other_db)
    assert (resumed_counts.pop("imports"), clean_counts.pop("imports")) == (2, 1)
    assert resumed_counts == clean_counts
    with db.transaction(write=False) as s:
        texts = list(s.scalars(select(Recommendation.text)))
    assert len(texts) == len(set(texts)) == clean.counts["recommendations"]["created"]


def test_a_refused_batch_is_written_decision_by_decision(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    m, c = write(tmp_path)
    real = csv_import.Importer._write

    def refuse_t2(self: csv_import.Importer, plans: list) -> object:  # type: ignore[type-arg]
        if any(p.reference == "T-2" for p in plans):
            raise IntegrityError("INSERT", {}, Exception("refused for the test"))
        return real(self, plans)

    monkeypatch.setattr(csv_import.Importer, "_write", refuse_t2)
    report = run(db, m, c, batch=100)
    assert {r.row: r.reason for r in report.rejected}[4] == "the database refused it: refused for the test"
    with db.transaction(write=False) as s:
        refs = set(s.scalars(select(Decision.reference)))
    assert "T-1" in refs and "T-2" not in refs and "T-7" in refs


def test_batches_note_alert_events_as_any_write(db: Database, tmp_path: Path) -> None:
    from app.models import OutboxEvent, Subscription
    from app.vocab import Channel, TargetType

    with db.transaction(actor="test") as s:
        s.add(
            Subscription(
                target_type=TargetType.query,
                query="",
                events=["decision.created", "assessment.created", "recommendation.status_changed"],
                channel=Channel.webhook,
                url="https://example.org/hook",
                secret="x" * 32,
            )
        )
    m, c = write(tmp_path)
    report = run(db, m, c, batch=2)
    with db.transaction(write=False) as s:
        events = [(e.type, e.decision_id) for e in s.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
        decisions_ = set(s.scalars(select(Decision.id)))
        changed = sum(1 for a in s.scalars(select(Assessment)) if a.status.value != "pending")
    types = [t for t, _ in events]
    assert types.count("decision.created") == report.counts["decisions"]["created"]
    assert types.count("assessment.created") == report.counts["assessments"]["created"]
    assert types.count("recommendation.status_changed") == changed
    assert {d for _, d in events} == decisions_


def test_mapping_fields_follow_the_schemas() -> None:
    """A mapping's fields are the API schemas' (ids and parts aside), required where the
    schema requires them; these are today's, as docs/csv-import.md lists them."""
    assert mapping.FIELDS == {
        "decision": {
            "reference": True,
            "title": True,
            "kind": True,
            "issued_on": True,
            "issued_on_precision": False,
            "summary": False,
            "language": False,
            "penalty_amount": False,
            "penalty_currency": False,
            "provisions": False,
            "tags": False,
            "sources": False,
            "regulator_role": False,
            "organisation_role": False,
        },
        "regulator": {
            "name": True,
            "short_name": False,
            "jurisdiction": True,
            "kind": False,
            "website": False,
        },
        "organisation": {"name": True, "kind": False, "country": False, "website": False},
        "recommendation": {"reference": False, "text": True, "kind": False, "due_on": False},
        "assessment": {
            "status": True,
            "assessed_on": True,
            "assessed_on_precision": False,
            "asserted_by": True,
            "note": False,
            "source_url": False,
            "source_title": False,
            "source_quote": False,
        },
        "recommended_by": {"name": True, "kind": False, "country": False, "website": False},
    }
    assert sorted(mapping.DATE_FIELDS) == ["assessed_on", "due_on", "issued_on"]
    assert sorted(mapping.LIST_FIELDS) == ["provisions", "sources", "tags"]
    assert {k: v.__name__ for k, v in mapping.VOCABULARIES.items()} == {
        ("decision", "kind"): "DecisionKind",
        ("decision", "issued_on_precision"): "DatePrecision",
        ("assessment", "assessed_on_precision"): "DatePrecision",
        ("decision", "regulator_role"): "RegulatorRole",
        ("decision", "organisation_role"): "OrganisationRole",
        ("regulator", "kind"): "RegulatorKind",
        ("organisation", "kind"): "OrganisationKind",
        ("recommended_by", "kind"): "OrganisationKind",
        ("recommendation", "kind"): "RecommendationKind",
        ("assessment", "status"): "Status",
        ("assessment", "asserted_by"): "AssertedBy",
    }

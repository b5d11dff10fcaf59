"""The shipped mappings on the real data sets in ../shared/data (skipped where it is absent,
as in a fresh clone; in CI its absence is a failure)."""

import os
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import PROJECT_ROOT
from app.db import Database
from app.models import (
    Assessment,
    Decision,
    DecisionOrganisation,
    DecisionRegulator,
    DecisionReportedAmount,
    Organisation,
    Recommendation,
    Regulator,
)

# ../shared/data beside the project, or where FINDINGS_SHARED_DATA says (a worktree elsewhere).
from app.services import demo
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping

DATA = Path(os.environ.get("FINDINGS_SHARED_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data")
MAPPINGS = PROJECT_ROOT / "mappings"


def data_file(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must have ../shared/data beside the project")
        pytest.skip(f"{path} is absent (a fresh clone without ../shared)")
    return path


def load(db: Database, name: str, path: Path, *, dry_run: bool = False) -> csv_import.Report:
    session = db.session(write=True)
    session.info["actor"] = "test"
    try:
        report = csv_import.import_csv_file(session, mapping.load(MAPPINGS / name), path)
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return report
    finally:
        session.close()


def test_gdpr_fines(db: Database) -> None:
    path = data_file("gdpr-fines-analysis/scraped_fines.csv")
    # On top of the demo record: the fines join its regulators and Clearview AI.
    with db.transaction(actor="test") as s:
        demo.load(s)
    report = load(db, "gdpr-fines.toml", path)
    # Every row is accounted for: created, or rejected with its reason.
    assert report.rows == 1701
    assert report.created + report.matched + report.rejected_count == 1701
    # Five of Clearview's fines are the demo's own decisions under another reference: matched,
    # the ICO's (in EUR here, in GBP in the demo) kept as a reported amount of its decision.
    assert report.created == 1673 and report.matched == 5 and report.rejected_count == 23
    assert [d.reason.split(":")[0] for d in report.duplicates] == [
        "matched decision 2",
        "matched (its amount kept as reported by this data set) decision 3",
        "matched decision 5",
        "matched decision 4",
        "matched decision 6",
    ]
    reasons = Counter(r.reason for r in report.rejected)
    assert reasons == {
        "decision.issued_on: no value (empty, or a value the mapping treats as missing: 01/01/1970)": 23
    }
    assert report.counts["regulators"]["matched"] == 4  # Garante, CNIL, HDPA, ICO
    # Clearview AI's five rows are all decisions already recorded: no created decision names it.
    assert report.counts["organisations"]["matched"] == 0
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 1673 + 8
        clearview = s.scalar(select(Organisation.id).where(Organisation.name == "Clearview AI, Inc."))
        fines = s.scalars(
            select(Decision.reference)
            .join(DecisionOrganisation)
            .where(DecisionOrganisation.organisation_id == clearview, Decision.reference.like("privacy%"))
        ).all()
        # None created: the ICO's EUR row is the demo's GBP decision, its figure kept there.
        assert fines == []
        ico = s.scalar(select(Decision).where(Decision.reference == "ICO MPN Clearview AI Inc (2022)"))
        assert ico is not None and ico.penalty_amount == 7_552_800 and ico.penalty_currency == "GBP"
        [reported] = s.scalars(
            select(DecisionReportedAmount).where(DecisionReportedAmount.decision_id == ico.id)
        )
        assert (reported.amount, reported.currency) == (9_000_000, "EUR")
        assert reported.source.endswith(": privacyaffairs GDPR fine #1055")
        regulator = s.scalar(
            select(Regulator).join(DecisionRegulator).where(DecisionRegulator.decision_id == ico.id)
        )
        assert regulator is not None and (regulator.name, regulator.jurisdiction) == (
            "Information Commissioner's Office",
            "GB",
        )
        # Zero prices (84, 7 of them with a placeholder date): no penalty, kind other.
        zero = s.scalars(select(Decision).where(Decision.kind == "other")).all()
        assert len(zero) == 77 and all(d.penalty_amount is None for d in zero)
        # Spellings of one party are one organisation.
        spain = s.scalars(select(Organisation.name).where(Organisation.name.like("Vodafone Espa%"))).all()
        assert spain == ["Vodafone España, S.A.U."]
        assert s.scalar(select(Regulator.jurisdiction).where(Regulator.name.like("%Berlin"))) == "DE-BE"
    # Importing again creates nothing.
    again = load(db, "gdpr-fines.toml", path, dry_run=True)
    assert (again.created, again.matched, again.rejected_count) == (0, 1678, 23)
    # The five matched by the duplicate rule are matched (and said so) again; the rest by reference.
    assert [d.row for d in again.duplicates] == [972, 1056, 1276, 1696, 1698]


def test_upr_2008(db: Database) -> None:
    path = data_file("uprs/2008data.csv")
    report = load(db, "upr.toml", path)
    assert report.rows == 1024 and report.created == 1024 and report.rejected_count == 0
    assert report.counts["decisions"]["created"] == 27
    # A recommendation listed once per recommending State is one: 158 rows folded.
    assert report.folded == 158 and report.counts["recommendations"]["created"] == 866
    with db.transaction(write=False) as s:
        [regulator] = s.scalars(select(Regulator)).all()
        assert (regulator.jurisdiction, regulator.kind.value) == ("UN", "other")
        assert {o.kind.value for o in s.scalars(select(Organisation))} == {"public_body"}
        statuses = Counter(s.scalars(select(Recommendation.status)))
        # support and consider are pending; the "unknown" positions (10 of the recommendations,
        # 17 rows) have no assessment.
        assert statuses == {"pending": 866}
        assert s.scalar(select(func.count()).select_from(Assessment)) == 866 - 10
        algeria = s.scalar(select(Decision).where(Decision.reference == "UPR 2008 Algeria"))
        assert algeria is not None and str(algeria.issued_on) == "2008-01-01"
        # The files give only the year: the reviews and the States' positions say so.
        assert set(s.scalars(select(Decision.issued_on_precision))) == {"year"}
        assert set(s.scalars(select(Assessment.assessed_on_precision))) == {"year"}
    again = load(db, "upr.toml", path, dry_run=True)
    assert (again.created, again.matched) == (0, 1024)


def test_upr_2009_short_rows_and_2011_blank_row() -> None:
    """The 2009 file's rows lack the notes field; the 2011 file has a blank row (read only)."""
    m = mapping.load(MAPPINGS / "upr.toml")
    with data_file("uprs/2009data.csv").open("rb") as fp:
        rows = list(csv_import.read_rows(m, fp))
    assert len(rows) == 4195 and all(r.get("notes") == "" for _, r in rows)
    with data_file("uprs/2011data.csv").open("rb") as fp:
        rows = list(csv_import.read_rows(m, fp))
    assert [r for _, r in rows if "\0error" in r] == [{"\0error": "blank row"}]
    # 0x90, undefined in Windows-1252, read as Mac Roman.
    assert any("Lei Contra Violência" in r.get("text", "") for _, r in rows)


def test_gdpr_fines_on_the_demo_one_act_one_record(db: Database) -> None:
    """The issue's walk-through: the demo, then the GDPR fines. Five of Clearview's fines are
    the demo's own decisions (matched); the ICO's EUR row is its GBP decision reported in
    another currency: matched, its EUR figure kept as a reported amount, no merge by hand.
    Clearview reads EUR 65,200,000 and GBP 7,552,800 (not EUR 74,200,000)."""
    from app.services.record import duplicates, organisations

    path = data_file("gdpr-fines-analysis/scraped_fines.csv")
    with db.transaction(actor="test") as s:
        demo.load(s)
    load(db, "gdpr-fines.toml", path)
    with db.transaction(write=False) as s:
        clearview = s.scalar(select(Organisation.id).where(Organisation.name == "Clearview AI, Inc."))
        assert clearview is not None
        ico_gbp = s.scalar(select(Decision.id).where(Decision.reference == "ICO MPN Clearview AI Inc (2022)"))
        assert (
            s.scalar(select(Decision.id).where(Decision.reference == "privacyaffairs GDPR fine #1055"))
            is None
        )
        assert [p for p in duplicates.decision_pairs(s) if ico_gbp in (p.first_id, p.second_id)] == []
        record = organisations.read(s, organisation_id=clearview, as_of=None)
        assert record.decision_count == 8
        assert {c: str(a) for c, a in record.penalties.items()} == {"EUR": "65200000.00", "GBP": "7552800.00"}
        assert (
            record.recommendation_counts["complied"] == 1 and sum(record.recommendation_counts.values()) == 8
        )
        assert record.complied_share == 0.125
        ico = s.get(Decision, ico_gbp)
        assert ico is not None and ico.compliance.value == "disputed"
    # The same file again: nothing new, the figure kept once.
    load(db, "gdpr-fines.toml", path)
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(DecisionReportedAmount)) == 1

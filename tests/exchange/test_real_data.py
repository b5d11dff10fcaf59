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
    # Four of Clearview's fines are the demo's own decisions under another reference: matched.
    assert report.created == 1674 and report.matched == 4 and report.rejected_count == 23
    assert [d.reason.split(":")[0] for d in report.duplicates] == [
        "matched decision 2",
        "created, but possibly the same act as decision 3",
        "matched decision 5",
        "matched decision 4",
        "matched decision 6",
    ]
    reasons = Counter(r.reason for r in report.rejected)
    assert reasons == {
        "decision.issued_on: no value (empty, or a value the mapping treats as missing: 01/01/1970)": 23
    }
    assert report.counts["regulators"]["matched"] == 4  # Garante, CNIL, HDPA, ICO
    assert report.counts["organisations"]["matched"] == 1  # Clearview AI
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 1674 + 8
        clearview = s.scalar(select(Organisation.id).where(Organisation.name == "Clearview AI, Inc."))
        fines = s.scalars(
            select(Decision.reference)
            .join(DecisionOrganisation)
            .where(DecisionOrganisation.organisation_id == clearview, Decision.reference.like("privacy%"))
        ).all()
        # Only the ICO's EUR row, a near match of the demo's GBP decision, was created.
        assert fines == ["privacyaffairs GDPR fine #1055"]
        ico = s.scalar(select(Decision).where(Decision.reference == "privacyaffairs GDPR fine #1055"))
        assert ico is not None and ico.penalty_amount == 9_000_000 and ico.penalty_currency == "EUR"
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
    # The four matched by the duplicate rule are matched (and said so) again; the rest by reference.
    assert [d.row for d in again.duplicates] == [972, 1276, 1696, 1698]


def test_upr_2008(db: Database) -> None:
    path = data_file("uprs/2008data.csv")
    report = load(db, "upr.toml", path)
    assert report.rows == 1024 and report.created == 1024 and report.rejected_count == 0
    assert report.counts["decisions"]["created"] == 27
    with db.transaction(write=False) as s:
        [regulator] = s.scalars(select(Regulator)).all()
        assert (regulator.jurisdiction, regulator.kind.value) == ("UN", "other")
        assert {o.kind.value for o in s.scalars(select(Organisation))} == {"public_body"}
        statuses = Counter(s.scalars(select(Recommendation.status)))
        # support and consider are pending; the 17 "unknown" positions have no assessment.
        assert statuses == {"pending": 1024}
        assert s.scalar(select(func.count()).select_from(Assessment)) == 1024 - 17
        algeria = s.scalar(select(Decision).where(Decision.reference == "UPR 2008 Algeria"))
        assert algeria is not None and str(algeria.issued_on) == "2008-01-01"
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
    """The issue's walk-through: the demo, then the GDPR fines. Four of Clearview's fines are
    the demo's own decisions (matched); the ICO's EUR row is a near match of its GBP decision,
    listed as a possible duplicate; merged, it leaves one decision."""
    from app.services.record import duplicates, merges, organisations

    path = data_file("gdpr-fines-analysis/scraped_fines.csv")
    with db.transaction(actor="test") as s:
        demo.load(s)
    load(db, "gdpr-fines.toml", path)
    with db.transaction(actor="test") as s:
        clearview = s.scalar(select(Organisation.id).where(Organisation.name == "Clearview AI, Inc."))
        assert clearview is not None
        ico_gbp = s.scalar(select(Decision.id).where(Decision.reference == "ICO MPN Clearview AI Inc (2022)"))
        ico_eur = s.scalar(select(Decision.id).where(Decision.reference == "privacyaffairs GDPR fine #1055"))
        pairs = [p for p in duplicates.decision_pairs(s) if ico_eur in (p.first_id, p.second_id)]
        assert [(p.first_id, p.second_id, p.kind) for p in pairs] == [(ico_gbp, ico_eur, "near")]
        record = organisations.read(s, organisation_id=clearview, as_of=None)
        assert record.decision_count == 9
        version = s.scalar(select(Decision.version).where(Decision.id == ico_eur))
        merges.merge_decision(s, decision_id=ico_eur, into=ico_gbp, expected_version=version)
    with db.transaction(write=False) as s:
        record = organisations.read(s, organisation_id=clearview, as_of=None)
        assert record.decision_count == 8
        assert {c: str(a) for c, a in record.penalties.items()} == {"EUR": "65200000.00", "GBP": "7552800.00"}
        assert (
            record.recommendation_counts["complied"] == 1 and sum(record.recommendation_counts.values()) == 8
        )
        assert record.complied_share == 0.125
        ico = s.get(Decision, ico_gbp)
        assert ico is not None and ico.compliance.value == "disputed"

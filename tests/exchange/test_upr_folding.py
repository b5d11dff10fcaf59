"""UPR as its own shape (issue 25, part 4): the source lists a recommendation once per
recommending State; the import makes it one recommendation under its number, each recommending
State a party of it (`recommended_by`), and the report counts the rows folded. The mapping says
how to fold (`[recommendation] fold_by`, `[recommended_by]`), refused before anything is
written when it names a column the file lacks."""

import tomllib
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.errors import Invalid
from app.models import ImportedRow, Organisation, Recommendation, RecommendationParty
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from tests.conftest import Api, table_counts
from tests.exchange.test_real_data import MAPPINGS, data_file, load

SAMPLE = Path(__file__).parent / "fixtures" / "upr_sample.csv"


def test_a_recommendation_listed_per_recommending_state_is_one(db: Database, api: Api) -> None:
    report = load(db, "upr.toml", SAMPLE)
    assert (report.rows, report.created, report.rejected_count, report.folded) == (9, 9, 0, 3)
    assert report.as_dict()["folded"] == 3
    assert report.counts["decisions"]["created"] == 2
    assert report.counts["recommendations"]["created"] == report.counts["assessments"]["created"] == 6
    with db.transaction(write=False) as s:
        names: dict[int, str] = {
            id: name for id, name in s.execute(select(Organisation.id, Organisation.name))
        }
        ids = {name: id for id, name in names.items()}
        assert sorted(names.values()) == sorted(
            [
                "Azerbaijan",
                "Slovakia",
                "Brazil",
                "Chile",
                "France",
                "Argentina",
                "Guatemala",
                "United States of America",
            ]
        )
        usa = s.scalar(select(Organisation).where(Organisation.name == "United States of America"))
        assert usa is not None and (usa.kind.value, usa.country) == ("public_body", "US")
        recs = {r.reference: r for r in s.scalars(select(Recommendation))}
        assert sorted(recs) == ["109.1", "109.3", "109.4", "128.3..2", "170.2", "170.3"]
        # Each is tied to its first row.
        rows: dict[int, int] = {
            record_id: row
            for record_id, row in s.execute(
                select(ImportedRow.record_id, ImportedRow.row).where(
                    ImportedRow.record_type == "recommendation"
                )
            )
        }
        assert rows[recs["109.3"].id] == 3 and rows[recs["170.2"].id] == 8
        assert s.scalar(select(func.count()).select_from(RecommendationParty)) == 8
    read = {r["reference"]: r for r in api.ok(api.get("/api/v1/recommendations"))["items"]}
    assert read["109.3"]["recommended_by"] == [ids["Brazil"], ids["Chile"]]
    assert read["109.3"]["status"] == "pending" and read["109.4"]["status"] == "not_complied"
    # The joint row names each of its States; a State named twice is named once; "NA" none.
    assert read["128.3..2"]["recommended_by"] == [ids["Argentina"], ids["Chile"], ids["Guatemala"]]
    assert read["170.2"]["recommended_by"] == [ids["United States of America"]]
    assert read["170.3"]["recommended_by"] == []
    # Brazil, reviewed, is the same organisation as Brazil recommending.
    assert read["170.2"]["organisation_id"] == ids["Brazil"]
    chile = api.ok(api.get("/api/v1/recommendations", params={"recommended_by": ids["Chile"]}))["items"]
    assert [r["reference"] for r in chile] == ["109.3", "128.3..2"]
    # On the decision's page, each text once, and who recommended it in words.
    page = api.get(f"/decisions/{read['109.3']['decision_id']}").text
    assert page.count("Ratify CPED (Brazil, Chile);") == 1
    assert "recommended by" in page and ">Brazil</a>, <a" in page
    # The same file again: every row matched, nothing written.
    counts = table_counts(db)
    again = load(db, "upr.toml", SAMPLE)
    assert (again.created, again.matched, again.folded) == (0, 9, 0)
    assert again.counts["recommendations"]["matched"] == 6
    assert table_counts(db) == counts


def upr_mapping() -> dict[str, object]:
    return tomllib.loads((MAPPINGS / "upr.toml").read_text(encoding="utf-8"))


def test_a_fold_by_naming_an_unknown_column_is_refused_before_anything_is_written(
    db: Database, tmp_path: Path
) -> None:
    raw = upr_mapping()
    raw["recommendation"]["fold_by"] = ["text", "paragraph"]  # type: ignore[index]
    m = mapping.parse(raw)
    counts = table_counts(db)
    with pytest.raises(Invalid) as refused, db.transaction(actor="test") as s:
        csv_import.import_csv_file(s, m, SAMPLE)
    assert [e.field for e in refused.value.errors] == ["csv.paragraph"]
    assert "recommendation.fold_by" in refused.value.detail
    assert table_counts(db) == counts


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda raw: raw["recommendation"].update(fold_by=3), "recommendation.fold_by"),
        (lambda raw: raw["recommendation"].update(fold_by=[]), "recommendation.fold_by"),
        (lambda raw: raw["recommended_by"].update(colour="red"), "recommended_by.colour"),
        (lambda raw: raw["recommended_by"].pop("name"), "recommended_by.name"),
        (lambda raw: raw.pop("recommendation") and raw.pop("assessment"), "recommended_by"),
    ],
)
def test_a_bad_folding_mapping_is_refused_naming_the_key(change: object, field: str) -> None:
    raw = upr_mapping()
    change(raw)  # type: ignore[operator]
    with pytest.raises(Invalid) as refused:
        mapping.parse(raw)
    assert field in {e.field for e in refused.value.errors}, refused.value.errors


def test_a_recommending_state_the_table_lacks_rejects_its_row(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "upr.csv"
    path.write_bytes(SAMPLE.read_bytes().replace(b",Slovakia,", b",Atlantis,"))
    report = load(db, "upr.toml", path)
    assert [(r.row, r.reason) for r in report.rejected] == [
        (2, "recommended_by.name: 'Atlantis' is not in the mapping's table")
    ]
    assert report.counts["recommendations"]["created"] == 5


def test_upr_2013_real_file(db: Database) -> None:
    """The real 2013 file: 7,379 rows make 7,270 recommendations, 109 rows folded; no decision
    holds one text twice for one State; every row's recommending State is recorded."""
    path = data_file("uprs/2013data.csv")
    report = load(db, "upr.toml", path)
    assert (report.rows, report.created, report.rejected_count) == (7379, 7379, 0)
    assert report.folded == 109
    assert report.counts["recommendations"]["created"] == 7379 - 109 == 7270
    with db.transaction(write=False) as s:
        texts = Counter(
            (d, o, " ".join(t.split()))
            for d, o, t in s.execute(
                select(Recommendation.decision_id, Recommendation.organisation_id, Recommendation.text)
            )
        )
        assert max(texts.values()) == 1
        made = Counter(s.scalars(select(RecommendationParty.recommendation_id)))
        assert len(made) == 7270 - 1  # one row names no State ("NA")
        assert max(made.values()) == 10
        azerbaijan = s.scalar(
            select(Recommendation).where(
                Recommendation.reference == "109.3", Recommendation.text.like("%CPED (Brazil, Chile)%")
            )
        )
        assert azerbaijan is not None and made[azerbaijan.id] == 2

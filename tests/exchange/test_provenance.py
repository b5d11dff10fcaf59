"""Where imported records came from: each import run kept with its data set, file (and its
SHA-256) and mapping; each decision it made names the row it came from, in the API and on its
page; /about states the rules and lists the data sets with their figures and caveats."""

import csv
import hashlib
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import Database
from app.main import create_app
from app.models import Decision, ImportedRow, ImportRun
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from tests.exchange.test_csv_import import CSV, MAPPING

DATASET = """
[dataset]
title = "The Data Board's reviews"
url = "https://example.org/reviews"
caveats = ["Dates before 2020 give the year only."]
"""


def imported(db: Database, tmp_path: Path) -> tuple[Path, str]:
    m = tmp_path / "reviews.toml"
    m.write_text(MAPPING.format(encoding="utf-8").replace("[csv]", DATASET + "\n[csv]", 1), encoding="utf-8")
    c = tmp_path / "reviews-2021.csv"
    c.write_bytes(CSV.encode())
    with db.transaction(actor="test") as session:
        csv_import.import_csv_file(session, mapping.load(m), c)
    return c, hashlib.sha256(CSV.encode()).hexdigest()


def test_an_imported_decision_names_its_data_set_file_and_row(db: Database, tmp_path: Path) -> None:
    c, digest = imported(db, tmp_path)
    with db.transaction(write=False) as session:
        [run] = session.scalars(select(ImportRun)).all()
        assert (run.dataset, run.file_name, run.file_sha256, run.mapping) == (
            "The Data Board's reviews",
            "reviews-2021.csv",
            digest,
            "reviews",
        )
        t2 = session.scalars(select(Decision.id).where(Decision.reference == "T-2")).one()
        rows = {(r.record_type, r.row) for r in session.scalars(select(ImportedRow))}
    # T-1 is rows 2-3 (two recommendations), T-2 row 4; the header is row 1.
    assert {("decision", 2), ("recommendation", 2), ("recommendation", 3), ("decision", 4)} <= rows
    with TestClient(create_app(db)) as client:
        read = client.get(f"/api/v1/decisions/{t2}").json()
        assert read["provenance"] == {
            "dataset": "The Data Board's reviews",
            "file": "reviews-2021.csv",
            "file_sha256": digest,
            "row": 4,
            "mapping": "reviews",
            "imported_at": read["provenance"]["imported_at"],
        }
        # The stored read (current) and the computed read (as of a day) agree.
        as_of = client.get(f"/api/v1/decisions/{t2}", params={"as_of": "2030-01-01"}).json()
        assert as_of["provenance"] == read["provenance"]
        text = client.get("/api/v1/export/decisions.csv").text.removeprefix("\ufeff")
        exported = list(csv.DictReader(io.StringIO(text)))
        [row] = [r for r in exported if r["id"] == str(t2)]
        assert (row["provenance_dataset"], row["provenance_file_sha256"], row["provenance_row"]) == (
            "The Data Board's reviews",
            digest,
            "4",
        )
        page = " ".join(client.get(f"/decisions/{t2}").text.split())
        assert "From the data set" in page and "The Data Board&#39;s reviews" in page
        assert "row 4 of <code>reviews-2021.csv</code>" in page and digest[:8] in page
        # A re-import of the same file makes nothing new; its run is kept beside the first.
    with db.transaction(actor="test") as session:
        csv_import.import_csv_file(session, mapping.load(tmp_path / "reviews.toml"), c)
    with TestClient(create_app(db)) as client:
        assert client.get(f"/api/v1/decisions/{t2}").json()["provenance"]["row"] == 4


def test_a_decision_made_by_hand_has_no_provenance(db: Database) -> None:
    from tests.conftest import Api

    with TestClient(create_app(db)) as client:
        api = Api(client, db)
        made = api.decision(api.regulator()["id"])
        assert made["provenance"] is None
        assert "From the data set" not in client.get(f"/decisions/{made['id']}").text


def test_about_states_the_rules_and_each_data_set(db: Database, tmp_path: Path) -> None:
    with TestClient(create_app(db)) as client:
        empty = client.get("/about")
        assert empty.status_code == 200 and "No data set has been imported" in empty.text
        _, digest = imported(db, tmp_path)
        page = " ".join(client.get("/about").text.split())
    for words in (
        "A recommendation's status",
        "A decision's compliance",
        "standing",
        "Overdue",
        "As of a day",
    ):
        assert words in page, words
    assert 'href="https://example.org/reviews"' in page and "Dates before 2020 give the year only." in page
    assert digest[:12] in page and "<code>reviews-2021.csv</code>" in page
    with db.transaction(write=False) as session:
        decisions = len(
            session.scalars(select(ImportedRow).where(ImportedRow.record_type == "decision")).all()
        )
    assert f"{decisions} decisions," in page and decisions > 0

"""One recommendation per addressee (issue 25): a row made to several parties (TAIC's `005/24`,
to "Tranzdev Wellington and Auckland One Rail") becomes one recommendation for each, under the
same reference, each with only its own party's replies and the status they give."""

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import Database
from app.errors import Invalid
from app.models import Assessment, Organisation, Recommendation
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from tests.conftest import Api

MAPPING = r"""
format = "findings-mapping"
version = 1

[csv]
group_by = ["report"]

[columns.latest]
column = "reply"
sections = "(?im)^[ \\t]*(?:and )?on (?P<date>\\d{1,2} [A-Z][a-z]+ \\d{4})"
pick = "latest"
format = "%d %B %Y"

[decision]
reference = { template = "R-{report}" }
title = { template = "Report {report}" }
kind = { value = "report_of_findings" }
issued_on = { value = "2024-09-25" }

[regulator]
name = { value = "Transport Accident Investigation Commission" }
jurisdiction = { value = "NZ" }

[organisation]
name = { column = "recipient", map = "parties", split = "|" }
replies = { column = "reply", heading = "(?im)^[ \\t]*(?:and )?on \\d{1,2} [A-Z][a-z]+ \\d{4}" }

[organisation.aliases]
"Transdev Wellington" = ["Tranzdev Wellington"]
"Auckland One Rail" = ["AOR"]

[recommendation]
text = "text"
reference = "number"

[assessment]
status = { column = "latest", classify = [
  { match = "(?i)implemented", value = "complied" },
  { match = "(?i)under consideration", value = "pending" },
  { match = "(?i)declines?", value = "not_complied" },
], default = "pending" }
assessed_on = { value = "2024-10-20" }
asserted_by = { value = "organisation" }
note = "latest"

[maps.parties]
"Tranzdev Wellington and Auckland One Rail" = "Tranzdev Wellington|Auckland One Rail"
"""

REPLY = (
    "On 29 September 2024, Auckland One Rail replied:\n"
    "The AOR EMUs will alert train control.\n\n"
    "and on 15 October 2024:\n"
    "Accepted and implemented.\n\n"
    "On 1 October 2024, Transdev Wellington replied:\n"
    "This recommendation is Under Consideration."
)
CSV = (
    "report,number,recipient,text,reply\n"
    f'1,005/24,Tranzdev Wellington and Auckland One Rail,Alert train control,"{REPLY}"\n'
    '1,006/24,KiwiRail,Check the radios,"On 2 February 2022, KiwiRail replied:\nKiwiRail declines."\n'
    '1,006/24,NZTA,Check the radios,"On 4 February 2022, Waka Kotahi replied:\nImplemented."\n'
)


def files(tmp_path: Path, mapping_text: str = MAPPING) -> tuple[Path, Path]:
    m, c = tmp_path / "parties.toml", tmp_path / "parties.csv"
    m.write_text(mapping_text, encoding="utf-8")
    c.write_text(CSV, encoding="utf-8")
    return m, c


def run(db: Database, m: Path, c: Path) -> csv_import.Report:
    with db.transaction(actor="test") as session:
        return csv_import.import_csv_file(session, mapping.load(m), c)


def test_a_row_to_two_parties_is_one_recommendation_for_each_with_its_own_replies(
    db: Database, api: Api, tmp_path: Path
) -> None:
    m, c = files(tmp_path)
    report = run(db, m, c)
    assert (report.rows, report.created, report.rejected_count, report.split) == (3, 3, 0, 1)
    assert report.counts["recommendations"]["created"] == 4
    with db.transaction(write=False) as s:
        names = {id: name for id, name in s.execute(select(Organisation.id, Organisation.name))}
        recs = {
            (r.reference, names[r.organisation_id]): r
            for r in s.scalars(select(Recommendation).order_by(Recommendation.id))
        }
        notes = {a.recommendation_id: a.note or "" for a in s.scalars(select(Assessment))}
        assert set(recs) == {
            ("005/24", "Transdev Wellington"),
            ("005/24", "Auckland One Rail"),
            ("006/24", "KiwiRail"),
            ("006/24", "NZTA"),
        }
        transdev, aor = recs["005/24", "Transdev Wellington"], recs["005/24", "Auckland One Rail"]
        assert transdev.status == "pending" and aor.status == "complied"
        assert "Under Consideration" in notes[transdev.id] and "Accepted" not in notes[transdev.id]
        assert "Accepted and implemented." in notes[aor.id] and "Transdev" not in notes[aor.id]
        assert recs["006/24", "KiwiRail"].status == "not_complied"
        assert recs["006/24", "NZTA"].status == "complied"
    both = api.ok(api.get("/api/v1/recommendations", params={"reference": "005/24"}))["items"]
    assert sorted(r["status"] for r in both) == ["complied", "pending"]
    assert len({r["decision_id"] for r in both}) == 1
    # The same file again: every row matched, nothing made.
    again = run(db, m, c)
    assert (again.created, again.matched, again.counts["recommendations"]["matched"]) == (0, 3, 4)


def test_a_split_name_reads_a_file_column_and_replies_a_heading(tmp_path: Path) -> None:
    bad = MAPPING.replace(
        'name = { column = "recipient", map = "parties", split = "|" }',
        'name = { column = "latest", split = "|" }',
    ).replace('heading = "(?im)', 'heading = "(?im')
    with pytest.raises(Invalid) as refused:
        mapping.parse(tomllib.loads(bad))
    fields = {e.field for e in refused.value.errors}
    assert fields == {"organisation.name", "organisation.replies.heading"}


def test_a_reference_is_unique_within_its_decision_and_addressee(api: Api) -> None:
    reg = api.regulator("Transport Accident Investigation Commission", "NZ")
    transdev, aor = api.organisation("Transdev Wellington"), api.organisation("Auckland One Rail")
    decision = api.decision(reg["id"], reference="TAIC rail inquiry 2021-104")
    first = api.recommendation(decision["id"], transdev["id"], "Alert train control", reference="005/24")
    second = api.recommendation(decision["id"], aor["id"], "Alert train control", reference="005/24")
    assert first["reference"] == second["reference"] == "005/24"
    clash = api.post(
        "/api/v1/recommendations",
        {"decision_id": decision["id"], "organisation_id": aor["id"], "text": "Again", "reference": "005/24"},
    )
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "reference"
    # Readdressing one to the other party would make two of one number for one party.
    moved = api.patch(f"/api/v1/recommendations/{second['id']}", {"organisation_id": transdev["id"]})
    assert moved.status_code == 409, moved.text
    # Merging the two parties would too: refused, naming the number; nothing moves.
    url = f"/api/v1/organisations/{aor['id']}"
    merged = api.post(f"{url}/merge", {"into": transdev["id"]}, headers=api.current(url))
    assert merged.status_code == 422 and "005/24" in merged.text, merged.text
    assert api.ok(api.get(f"/api/v1/recommendations/{second['id']}"))["organisation_id"] == aor["id"]

"""Whole-record export and import: round trip, all-or-nothing, access."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.main import create_app
from app.services import demo
from app.services.evidence import extract
from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.evidence.pdfs import pdf


def build_record(api: Api) -> None:
    """The demo record plus parts the demo lacks: a parent organisation, a finding with a
    party, sources, a case with tags, a due date and several assessments."""
    with api.db.transaction(actor="test") as session:
        demo.load(session)
    parent = api.organisation("Acme Holdings", kind="company", country="US")
    child = api.organisation("Acme Ltd", aliases=["Acme"], parent_id=parent["id"], country="GB")
    case = api.ok(api.post("/api/v1/cases", {"title": "Acme leak", "tags": ["breach", "leak"]}), 201)
    reg = api.regulator("Autoriteit Persoonsgegevens", "NL", short_name="AP")
    archived = api.client.post(
        "/api/v1/documents",
        files={"file": ("ap.pdf", pdf(["Besluit", "Boete opgelegd"]))},
        data={"title": "Besluit AP"},
        headers=api.auth(),
    ).json()
    api.client.post(
        "/api/v1/documents",
        files={"file": ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x01" * 40)},
        headers=api.auth(),
    )
    extract.process_pending(api.db)
    first = api.decision(
        reg["id"],
        reference="AP-2020-1",
        issued_on="2020-05-01",
        organisations=[{"organisation_id": child["id"], "role": "respondent"}],
        case_id=case["id"],
        penalty_amount="1234.50",
        penalty_currency="EUR",
        findings=[{"text": "Leaked data", "organisation_id": child["id"], "outcome": "contravention"}],
        sources=[
            {
                "url": "https://example.org/ap",
                "title": "Décision — AP",
                "published_on": "2020-05-02",
                "document_id": archived["id"],
            }
        ],
        provisions=["GDPR Art. 32"],
        tags=["breach"],
        reported_amounts=[{"amount": "1400", "currency": "USD", "source": "Example fines tracker"}],
    )
    api.decision(
        reg["id"],
        reference="AP-2021-2",
        issued_on="2021-01-01",
        related=[{"decision_id": first["id"], "relation": "follow_up_of"}],
    )
    rec = api.recommendation(first["id"], child["id"], "Encrypt backups", due_on="2020-12-31")
    api.assess(rec["id"], "not_complied", "2020-06-01", note="Nothing done")
    api.assess(
        rec["id"],
        "complied",
        "2021-02-01",
        source_url="https://example.org/x",
        source_quote="=1+1",
        document_id=archived["id"],
        source_page=2,
    )
    # The fine partly paid (the record's own fixture: the demo records no payment).
    api.assess(
        first["payment_id"],
        "partially_complied",
        "2020-09-01",
        amount_paid="1000",
        source_url="https://example.org/p",
    )


def export(api: Api) -> bytes:
    response = api.get("/api/v1/export")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.content


@pytest.fixture(scope="module")
def record_body(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[bytes]:
    """An export of the built record, made once for the tests that only need the file."""
    path = tmp_path_factory.mktemp("record") / "source.sqlite3"
    path.write_bytes(sqlite_template.read_bytes())
    database = Database(f"sqlite:///{path}")
    with TestClient(create_app(database)) as client:
        source = Api(client, database)
        build_record(source)
        yield export(source)
    database.dispose()


def import_(api: Api, body: bytes, role: Role | None = Role.admin) -> Any:
    return api.client.post("/api/v1/import", content=body, headers=api.auth(role))


def test_round_trip_gives_the_same_record(api: Api, other_api: Api) -> None:
    build_record(api)
    first = export(api)
    record = json.loads(first)
    assert record["format"] == "findings-tracker-record" and record["version"] == 2
    # Recommendations: 9, and the payment obligations of the 6 penalties with a respondent.
    assert [len(record[s]) for s in ("decisions", "recommendations", "assessments")] == [10, 15, 13]
    assert sum(r["kind"] == "payment" for r in record["recommendations"]) == 6
    # An amount paid is written where an assessment has one, and only there.
    assert [a["amount_paid"] for a in record["assessments"] if "amount_paid" in a] == ["1000.00"]
    assert [len(record[s]) for s in ("documents", "blobs")] == [2, 2]
    assert record["documents"][0]["pages"] == ["Besluit", "Boete opgelegd"]
    # A decision's reported amounts are written where it has some, and only there.
    reported = [d["reported_amounts"] for d in record["decisions"] if "reported_amounts" in d]
    assert reported == [[{"amount": "1400.00", "currency": "USD", "source": "Example fines tracker"}]]
    result = import_(other_api, first)
    assert result.status_code == 200, result.text
    assert result.json()["imported"]["decisions"] == 10
    again = export(other_api)
    for a, b in zip(first.splitlines(), again.splitlines(), strict=True):
        assert a == b
    assert again == first
    # Derived values come back too: same reads through the API on both sides.
    for url in ("/api/v1/decisions?limit=500", "/api/v1/recommendations?limit=500", "/api/v1/organisations"):
        assert api.ok(api.get(url)) == other_api.ok(other_api.get(url))
    # Every document comes back byte for byte, with its text.
    for document in record["documents"]:
        url = f"/documents/{document['id']}/raw"
        assert api.get(url).content == other_api.get(url).content
    assert other_api.ok(other_api.get("/api/v1/search", params={"q": "boete"}))["items"][0]["page"] == 2
    # The import is in the audit log, and new records get fresh ids after the imported ones.
    org = other_api.organisation("New Co")
    assert org["id"] == max(o["id"] for o in record["organisations"]) + 1


def test_import_writes_the_audit_log(other_api: Api, record_body: bytes) -> None:
    import_(other_api, record_body)
    with other_api.db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT actor, action, entity, count(*) FROM audit_log WHERE action = 'import' "
            "GROUP BY actor, action, entity"
        ).all()
    assert {r[2]: r[3] for r in rows}["decision"] == 10
    assert {r[0] for r in rows} == {"import:token:test-admin"}


def corrupt(body: bytes, section: str, index: int, **changes: Any) -> bytes:
    record = json.loads(body)
    record[section][index].update(changes)
    return json.dumps(record).encode()


@pytest.mark.parametrize(
    ("section", "index", "changes", "field"),
    [
        ("decisions", 3, {"issued_on": "2021-02-30"}, "decisions[3].issued_on"),
        ("decisions", 2, {"kind": "verdict"}, "decisions[2].kind"),
        ("organisations", 1, {"parent_id": 999}, "organisations[1].parent_id"),
        ("recommendations", 4, {"decision_id": 999}, "recommendations[4].decision_id"),
        ("assessments", 0, {"status": "done"}, "assessments[0].status"),
        ("regulators", 0, {"colour": "red"}, "regulators[0].colour"),
        (
            "decisions",
            9,
            {"related": [{"decision_id": 10, "relation": "appeal_of"}]},
            "decisions[9].related[0]",
        ),
    ],
)
def test_one_bad_item_changes_nothing(
    other_api: Api, record_body: bytes, section: str, index: int, changes: dict[str, Any], field: str
) -> None:
    before = table_counts(other_api.db)
    response = import_(other_api, corrupt(record_body, section, index, **changes))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith(field) for f in fields), fields
    assert table_counts(other_api.db) == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[1, 2]",
        b'{"format": "findings-tracker-record", "version": 1, "regulators": [{"id": 1,',
        b'{"format": "something-else", "version": 1, "regulators": []}',
        b'{"format": "findings-tracker-record", "version": 2, "regulators": []}',
        b'{"format": "findings-tracker-record", "version": 1, "regulators": []}',
        b'{"format": "findings-tracker-record", "version": 1, "cases": [], "regulators": []}',
        b"\xff\xfe{}",
    ],
)
def test_malformed_files_are_refused_cleanly(other_api: Api, body: bytes) -> None:
    before = table_counts(other_api.db)
    response = import_(other_api, body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]
    assert table_counts(other_api.db) == before


def test_import_needs_an_empty_instance(api: Api, record_body: bytes) -> None:
    api.regulator()
    before = table_counts(api.db)
    response = import_(api, record_body)
    assert response.status_code == 409, response.text
    assert table_counts(api.db) == before


@pytest.mark.parametrize(("role", "status"), [(None, 401), (Role.reader, 403), (Role.editor, 403)])
def test_import_is_for_admins_only(
    other_api: Api, record_body: bytes, role: Role | None, status: int
) -> None:
    response = import_(other_api, record_body, role)
    assert response.status_code == status, response.text
    assert other_api.ok(other_api.get("/api/v1/decisions"))["items"] == []


def test_export_of_an_empty_instance_imports(other_api: Api, api: Api) -> None:
    body = export(other_api)
    assert json.loads(body)["decisions"] == []
    assert import_(api, body).status_code == 200


def test_export_pages_through_the_tables(
    api: Api, other_api: Api, record_body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small pages (keyset by id) give the same document as one big page, both ways."""
    from app.services.exchange import record_checks, record_export

    monkeypatch.setattr(record_export, "PAGE", 3)
    monkeypatch.setattr(record_checks, "BATCH", 2)
    assert import_(other_api, record_body).status_code == 200
    assert export(other_api) == record_body


def test_cli_export_and_import(
    other_api: Api, record_body: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from app.cli import cli
    from app.config import get_settings

    source = tmp_path / "in.json"
    source.write_bytes(record_body)
    monkeypatch.setenv("DATABASE_URL", str(other_api.db.engine.url))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["import", str(source)])
        assert result.exit_code == 0, result.output
        assert "10 decisions" in result.output
        out = tmp_path / "out.json"
        result = CliRunner().invoke(cli, ["export", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == record_body
        # A second import is refused: the instance is no longer empty.
        result = CliRunner().invoke(cli, ["import", str(source)])
        assert result.exit_code == 1 and "already holds a record" in result.output
    finally:
        get_settings.cache_clear()


def test_out_of_range_numbers_are_refused(other_api: Api, record_body: bytes) -> None:
    body = corrupt(record_body, "regulators", 0, version=10**30, id=2**70)
    response = import_(other_api, body)
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"regulators[0].version", "regulators[0].id"}


def test_import_takes_bodies_over_the_usual_limit(other_api: Api, record_body: bytes) -> None:
    padded = record_body.replace(b'"regulators":[', b'"regulators":' + b" " * 3_000_000 + b"[", 1)
    assert len(padded) > 3_000_000
    assert import_(other_api, padded).status_code == 200
    # Other routes keep the 2 MB limit.
    response = other_api.post("/api/v1/regulators", None, content=b" " * 3_000_000)
    assert response.status_code == 413


def test_a_version_1_file_without_documents_is_still_read(other_api: Api, record_body: bytes) -> None:
    record = json.loads(record_body)
    for source in (s for d in record["decisions"] for s in d["sources"]):
        source.pop("document_id", None)
    for assessment in record["assessments"]:
        assessment.pop("document_id", None)
        assessment.pop("source_page", None)
    old = {k: v for k, v in record.items() if k not in ("documents", "blobs")} | {"version": 1}
    result = import_(other_api, json.dumps(old).encode())
    assert result.status_code == 200, result.text
    assert "documents" not in result.json()["imported"] or result.json()["imported"]["documents"] == 0


def test_a_version_1_file_may_not_hold_documents(other_api: Api, record_body: bytes) -> None:
    before = table_counts(other_api.db)
    record = json.loads(record_body) | {"version": 1}
    refused = import_(other_api, json.dumps(record).encode())
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "documents"
    assert table_counts(other_api.db) == before


def test_documents_without_their_bytes_or_with_changed_bytes_are_refused(
    other_api: Api, record_body: bytes
) -> None:
    before = table_counts(other_api.db)
    record = json.loads(record_body)
    missing = record | {"blobs": record["blobs"][1:]}
    refused = import_(other_api, json.dumps(missing).encode())
    assert refused.status_code == 422
    assert any("sha256" in e["field"] and e["type"] == "missing" for e in refused.json()["errors"])
    changed = json.loads(record_body)
    changed["blobs"][0]["data"] = "AAAA"
    refused = import_(other_api, json.dumps(changed).encode())
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "blobs[0].data"
    assert table_counts(other_api.db) == before

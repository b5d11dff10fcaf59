"""Archived documents: uploads kept byte for byte (SHA-256, once), their text read by the
worker page by page and found by search with its page, served safely, verified; and every
bad input refused with nothing stored."""

import asyncio
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from app.cli import cli
from app.main import create_app
from app.models import Document, DocumentBlob, DocumentPage
from app.services.evidence import extract
from app.vocab import Role
from tests.conftest import Api, table_counts
from tests.evidence.pdfs import encrypted, malformed, pdf

THREE_PAGES = [
    "Clearview collected images",
    "The commissioners found it unlawful",
    "Biometric arrays deleted",
]
HTML = b"""<!doctype html><html><head><title>Notice</title></head><body>
<nav>Home | About</nav><article><h1>Enforcement notice</h1>
<p>The Information Commissioner orders Clearview AI to delete the personal data of residents.</p>
<p>The company has appealed the notice to the tribunal, contesting its jurisdiction.</p></article>
<footer>Copyright</footer></body></html>"""


def upload(
    api: Api, data: bytes, *, name: str = "file.bin", title: str | None = None, role: Role = Role.editor
) -> Any:
    form = {"title": title} if title is not None else {}
    return api.client.post(
        "/api/v1/documents",
        files={"file": (name, data, "application/octet-stream")},
        data=form,
        headers=api.auth(role),
    )


def test_a_pdf_is_kept_byte_for_byte_and_a_word_of_its_third_page_is_found_with_its_page(api: Api) -> None:
    data = pdf(THREE_PAGES)
    made = upload(api, data, name="report.pdf", title="Joint investigation report")
    assert made.status_code == 201, made.text
    doc = made.json()
    assert made.headers["location"].endswith(f"/api/v1/documents/{doc['id']}")
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()
    assert (doc["media_type"], doc["size"], doc["status"], doc["text_status"]) == (
        "application/pdf",
        len(data),
        "stored",
        "pending",
    )
    # The text is read by the worker, never in the request.
    assert api.get("/api/v1/search", params={"q": "biometric"}).json()["items"] == []
    assert extract.process_pending(api.db) == 1
    read = api.ok(api.get(f"/api/v1/documents/{doc['id']}"))
    assert (read["text_status"], read["page_count"], read["text_reason"]) == ("extracted", 3, None)
    hits = api.ok(api.get("/api/v1/search", params={"q": "biometric arrays"}))["items"]
    assert [(h["type"], h["id"], h["page"]) for h in hits] == [("document", doc["id"], 3)]
    assert "Joint investigation report" in hits[0]["title"] and "<mark>" in hits[0]["snippet"]
    # Only documents, when asked.
    only = api.ok(api.get("/api/v1/search", params={"q": "commissioners", "type": "document"}))["items"]
    assert [(h["id"], h["page"]) for h in only] == [(doc["id"], 2)]
    # The raw bytes come back with the same hash; ETag is the hash.
    raw = api.get(f"/documents/{doc['id']}/raw")
    assert raw.status_code == 200 and hashlib.sha256(raw.content).hexdigest() == doc["sha256"]
    assert raw.headers["etag"] == f'"{doc["sha256"]}"'
    assert raw.headers["content-type"] == "application/pdf"
    assert raw.headers["content-disposition"].startswith("inline;")
    assert raw.headers["content-security-policy"] == "sandbox"
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert (
        api.get(f"/documents/{doc['id']}/raw", headers={"If-None-Match": raw.headers["etag"]}).status_code
        == 304
    )
    # The search page links to the page of the document.
    page = api.get("/search", params={"q": "biometric"})
    assert f'href="/documents/{doc["id"]}#page-3"' in page.text
    assert '<span class="muted">· page 3</span>' in page.text
    shown = api.get(f"/documents/{doc['id']}")
    assert (
        shown.status_code == 200 and 'id="page-3"' in shown.text and "Biometric arrays deleted" in shown.text
    )
    assert doc["sha256"] in shown.text and "PDF" in shown.text


def test_byte_ranges(api: Api) -> None:
    data = pdf(THREE_PAGES)
    doc = upload(api, data).json()
    url = f"/documents/{doc['id']}/raw"
    part = api.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == data[:10]
    assert part.headers["content-range"] == f"bytes 0-9/{len(data)}"
    tail = api.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    rest = api.get(url, headers={"Range": f"bytes={len(data) - 3}-"})
    assert rest.content == data[-3:]
    beyond = api.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    stale = api.get(url, headers={"Range": "bytes=0-9", "If-Range": '"another"'})
    assert stale.status_code == 200 and stale.content == data


def test_identical_bytes_are_stored_once(api: Api) -> None:
    data = pdf(["once"])
    first = upload(api, data)
    again = upload(api, data, name="copy.pdf")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    with api.db.transaction(write=False) as session:
        assert session.scalar(select(DocumentBlob.size)) == len(data)
        assert len(session.scalars(select(DocumentBlob.sha256)).all()) == 1


def test_html_keeps_its_main_text_and_is_served_as_a_download(api: Api) -> None:
    doc = upload(api, HTML, name="notice.html").json()
    assert doc["media_type"] == "text/html"
    extract.process_pending(api.db)
    hits = api.ok(api.get("/api/v1/search", params={"q": "tribunal jurisdiction"}))["items"]
    assert [(h["type"], h["page"]) for h in hits] == [("document", 1)]
    with api.db.transaction(write=False) as session:
        text = session.scalar(select(DocumentPage.text))
    assert text is not None and "delete the personal data" in text and "Copyright" not in text
    raw = api.get(f"/documents/{doc['id']}/raw")
    # Archived HTML never runs in the site's origin: a sandboxed download, never sniffed.
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert raw.headers["content-security-policy"] == "sandbox"


def test_images_and_text_are_kept(api: Api) -> None:
    png = upload(api, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).json()
    assert (png["media_type"], png["text_status"]) == ("image/png", "no_text")
    note = upload(api, "Réponse de l'organisation : conforme.".encode()).json()
    assert note["media_type"] == "text/plain"
    assert extract.process_pending(api.db) == 1
    assert api.ok(api.get("/api/v1/search", params={"q": "reponse conforme"}))["items"][0]["id"] == note["id"]


def test_unreadable_documents_are_kept_with_the_reason_and_the_worker_goes_on(api: Api) -> None:
    made = {
        "encrypted": upload(api, encrypted()).json()["id"],
        "malformed": upload(api, malformed()).json()["id"],
        "bomb": upload(api, pdf(["x"], bomb=150_000_000)).json()["id"],
        "nested": upload(api, b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000).json()[
            "id"
        ],
        "good": upload(api, pdf(["after the broken ones"])).json()["id"],
    }
    assert extract.process_pending(api.db, limit=10) == 5
    docs = {k: api.ok(api.get(f"/api/v1/documents/{i}")) for k, i in made.items()}
    assert docs["good"]["text_status"] == "extracted"
    assert "encrypted" in docs["encrypted"]["text_reason"]
    assert "malformed" in docs["malformed"]["text_reason"]
    assert "decompression bomb" in docs["bomb"]["text_reason"]
    assert "deeper than 255 levels" in docs["nested"]["text_reason"]
    for key in ("encrypted", "malformed", "bomb", "nested"):
        assert docs[key]["text_status"] == "unreadable" and docs[key]["status"] == "stored"
        assert api.get(f"/documents/{made[key]}/raw").status_code == 200  # the bytes are kept


def test_a_long_pdf_is_read_up_to_its_limit(api: Api, settings_env: Any) -> None:
    settings_env(max_document_pages="5")
    doc = upload(api, pdf([f"page number {n}" for n in range(1, 13)])).json()
    extract.process_pending(api.db)
    read = api.ok(api.get(f"/api/v1/documents/{doc['id']}"))
    assert (read["text_status"], read["page_count"]) == ("extracted", 12)
    assert read["text_reason"] == "text read from the first 5 of 12 pages"
    with api.db.transaction(write=False) as session:
        assert session.scalars(select(DocumentPage.number).order_by(DocumentPage.number)).all() == [
            1,
            2,
            3,
            4,
            5,
        ]


def test_bad_uploads_are_refused_and_nothing_is_stored(api: Api, settings_env: Any) -> None:
    before = table_counts(api.db)
    zipped = upload(api, b"PK\x03\x04" + b"\x00" * 100)
    assert zipped.status_code == 415 and zipped.headers["content-type"] == "application/problem+json"
    assert zipped.json()["errors"][0]["field"] == "file"
    missing = api.client.post("/api/v1/documents", data={"title": "no file"}, headers=api.auth())
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"
    as_csv = api.post("/api/v1/documents", {"title": "x"}, headers={"Content-Type": "text/csv"})
    assert as_csv.status_code == 415
    assert upload(api, pdf(["x"]), role=Role.reader).status_code == 403
    anonymous = api.client.post("/api/v1/documents", files={"file": ("a.pdf", pdf(["x"]))})
    assert anonymous.status_code == 401
    too_long = upload(api, pdf(["x"]), title="t" * 501)
    assert too_long.status_code == 422
    settings_env(max_document_bytes="1000")
    with TestClient(create_app(api.db)) as small:
        big = small.post(
            "/api/v1/documents", files={"file": ("big.pdf", pdf(["x" * 2000]))}, headers=api.auth()
        )
        assert big.status_code == 413, big.text
        # Over the limit with the form around it: refused before the body is read.
        huge = small.post(
            "/api/v1/documents", files={"file": ("huge.pdf", b"%PDF-" + b"0" * 200_000)}, headers=api.auth()
        )
        assert huge.status_code == 413
    assert table_counts(api.db) == before


def test_an_upload_cut_off_half_way_stores_nothing(api: Api) -> None:
    app = create_app(api.db)
    boundary = "cut"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'.encode()
        + pdf(["half"])
    )
    messages = [{"type": "http.request", "body": body[:200], "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    before = table_counts(api.db)
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/api/v1/documents",
        "raw_path": b"/api/v1/documents",
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 5000),
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"content-length", str(len(body) + 100).encode()),
            (b"authorization", f"Bearer {api.tokens[Role.editor]}".encode()),
        ],
    }
    asyncio.run(app(scope, receive, send))
    assert table_counts(api.db) == before


def test_documents_verify_reports_a_changed_blob(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = upload(api, pdf(["to verify"])).json()
    monkeypatch.setenv("DATABASE_URL", api.db.engine.url.render_as_string(hide_password=False))
    from app.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    ok = runner.invoke(cli, ["documents", "verify"])
    assert ok.exit_code == 0, ok.output
    with api.db.transaction() as session:
        session.execute(update(DocumentBlob).values(data=b"%PDF- tampered"))
    bad = runner.invoke(cli, ["documents", "verify"])
    assert bad.exit_code == 1 and f"document {doc['id']}: {doc['sha256']} changed" in bad.output
    get_settings.cache_clear()


def test_a_document_folder_keeps_the_bytes_as_files(api: Api, settings_env: Any, tmp_path: Path) -> None:
    settings_env(document_dir=str(tmp_path / "docs"))
    data = pdf(["in a folder"])
    doc = upload(api, data).json()
    path = tmp_path / "docs" / doc["sha256"][:2] / f"{doc['sha256']}.bin"
    assert path.read_bytes() == data
    with api.db.transaction(write=False) as session:
        assert session.scalars(select(DocumentBlob)).all() == []
        assert session.scalar(select(Document.sha256)) == doc["sha256"]
    assert api.get(f"/documents/{doc['id']}/raw").content == data


def test_a_decision_source_points_at_its_archived_copy(api: Api) -> None:
    doc = upload(api, pdf(THREE_PAGES), title="Report of findings").json()
    reg = api.regulator()
    source = {"url": "https://www.priv.gc.ca/en/opc-actions-and-decisions/2021/pipeda-2021-001/"}
    unknown = api.post(
        "/api/v1/decisions",
        {
            "reference": "PIPEDA-2021-001",
            "title": "Clearview AI",
            "kind": "report_of_findings",
            "issued_on": "2021-02-02",
            "regulators": [{"regulator_id": reg["id"], "role": "lead"}],
            "sources": [source | {"document_id": doc["id"] + 99}],
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "sources.0.document_id"
    decision = api.decision(reg["id"], sources=[source | {"document_id": doc["id"]}])
    assert decision["sources"][0]["document_id"] == doc["id"]
    page = api.get(f"/decisions/{decision['id']}")
    assert f'href="/documents/{doc["id"]}"' in page.text and "archived copy" in page.text
    assert "SHA-256 <code" in page.text and "PDF" in page.text
    cited = api.get(f"/documents/{doc['id']}")
    assert f'href="/decisions/{decision["id"]}"' in cited.text
    # The stored read (the current read) and the computed one (as of a day) agree.
    assert (
        api.ok(api.get(f"/api/v1/decisions/{decision['id']}", params={"as_of": "2030-01-01"}))["sources"]
        == (decision["sources"])
    )


def test_an_assessment_pins_its_quote_to_a_page_of_the_archived_copy(api: Api) -> None:
    doc = upload(api, pdf(THREE_PAGES), title="Clearview's reply").json()
    extract.process_pending(api.db)
    reg, org = api.regulator(), api.organisation()
    rec = api.recommendation(api.decision(reg["id"])["id"], org["id"], text="Delete the biometric arrays")
    url = f"/api/v1/recommendations/{rec['id']}/assessments"
    base = {"status": "complied", "assessed_on": "2021-06-01", "asserted_by": "organisation"}
    refused = {
        "document_id": (base | {"document_id": doc["id"] + 99}, "reference"),
        "source_page": (base | {"source_page": 3}, "page_without_document"),
    }
    for field, (body, kind) in refused.items():
        answer = api.post(url, body)
        assert answer.status_code == 422, answer.text
        assert (answer.json()["errors"][0]["field"], answer.json()["errors"][0]["type"]) == (field, kind)
    too_far = api.post(url, base | {"document_id": doc["id"], "source_page": 4})
    assert too_far.status_code == 422 and "has 3 page(s)" in too_far.json()["detail"]
    assert api.ok(api.get(f"/api/v1/recommendations/{rec['id']}"))["status"] == "pending"  # nothing written

    made = api.assess(
        rec["id"],
        "complied",
        "2021-06-01",
        asserted_by="organisation",
        document_id=doc["id"],
        source_page=3,
        source_quote="Biometric arrays deleted",
    )
    assert (made["document_id"], made["source_page"]) == (doc["id"], 3)
    page = api.get(f"/recommendations/{rec['id']}")
    assert f'href="/documents/{doc["id"]}#page-3">(page 3)</a>' in page.text
    assert "archived copy" in page.text and "SHA-256" in page.text
    cited = api.get(f"/documents/{doc['id']}")
    assert f'href="/recommendations/{rec["id"]}#assessment-{made["id"]}"' in cited.text
    assert "quote on page 3" in cited.text


def test_the_assessment_form_keeps_an_attached_file_through_a_correction(api: Api) -> None:
    from tests.web_helpers import make_user, post_form, sign_in

    rec = api.recommendation(api.decision(api.regulator()["id"])["id"], api.organisation()["id"])
    make_user(api.db, "ed@example.org")
    sign_in(api.client, "ed@example.org")
    path = f"/recommendations/{rec['id']}/assessments/new"
    fields = {"status": "complied", "assessed_on": "2021-06-01", "asserted_by": "organisation"}
    # A file of a kind the record does not keep: said beside the field, nothing written.
    before = table_counts(api.db)
    zipped = post_form(api.client, path, fields, files={"file": ("a.zip", b"PK\x03\x04" + b"\0" * 60)})
    assert zipped.status_code == 415 and 'id="f-file-error"' in zipped.text
    assert table_counts(api.db)["documents"] == before["documents"]
    # A good file with a bad date: the file is kept and named in the form sent back.
    bad_date = post_form(
        api.client, path, fields | {"assessed_on": "2999-01-01"}, files={"file": ("r.pdf", pdf(THREE_PAGES))}
    )
    assert bad_date.status_code == 422
    kept = re.search(r'name="document_id" value="(\d+)"', bad_date.text)
    assert kept is not None and "Archived copy kept" in bad_date.text
    done = post_form(api.client, path, fields | {"document_id": kept.group(1), "source_page": "3"})
    assert done.status_code == 303, done.text
    history = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))
    items = history["items"] if isinstance(history, dict) else history
    assert (items[-1]["document_id"], items[-1]["source_page"]) == (int(kept.group(1)), 3)
    assert table_counts(api.db)["documents"] == before["documents"] + 1

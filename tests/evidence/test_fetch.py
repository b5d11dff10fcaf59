"""Links archived by the worker: fetched from a real local HTTP server, kept with a WARC record
and their text searchable; guarded like webhooks at submit, at fetch and at every redirect;
failures recorded with their reason (and tried again when they may pass); links checked again
later for rot, politely, while the copy stays."""

import datetime as dt
import hashlib
import http.server
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select, update
from warcio.archiveiterator import ArchiveIterator

from app.db import Database
from app.models import Document, DocumentBlob
from app.services.evidence import extract, fetch
from app.services.shared import urls
from app.vocab import Role
from tests.conftest import Api
from tests.evidence.pdfs import pdf

PAGE = b"""<!doctype html><html><head><title>Findings</title></head><body><article>
<h1>Joint investigation of Clearview AI</h1>
<p>The commissioners found that the scraping of billions of images was mass surveillance.</p>
<p>Clearview was asked to stop offering its service and to delete the images it held.</p>
</article></body></html>"""
REPORT = pdf(["Scope of the investigation", "Findings of the commissioners", "Recommendations zebrafish"])


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Site:
    """A real HTTP server on loopback whose answers a test sets by path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, str]] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append((self.path, self.headers.get("Host", "")))
                route = site.routes.get(self.path, Route(404, b"not here"))
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def site() -> Iterator[Site]:
    server = Site()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def public_loopback(site: Site, settings_env: Any, monkeypatch: pytest.MonkeyPatch) -> Site:
    """The guard on, as in production, with only two of its inputs moved for the test: the
    loopback address counts as public and the test server's port as the standard one. Every
    other private address (10/8, link-local, ...) is still refused."""
    settings_env(allow_private_urls="false", allow_private_webhooks="false")
    real = urls.address_allowed
    monkeypatch.setattr(urls, "address_allowed", lambda a: a == "127.0.0.1" or real(a))
    monkeypatch.setitem(urls.PORTS, "http", site.port)
    return site


def submit(api: Api, url: str, title: str | None = None) -> Any:
    body = {"url": url} | ({"title": title} if title else {})
    return api.client.post("/api/v1/documents", json=body, headers=api.auth(Role.editor))


def document(api: Api, document_id: int) -> Any:
    return api.ok(api.get(f"/api/v1/documents/{document_id}"))


def due_now(db: Database, column: Any) -> None:
    with db.transaction(actor="test") as session:
        session.execute(
            update(Document).values({column.key: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)})
        )


def test_a_page_fetched_by_the_worker_is_archived_with_its_warc_record_and_found(
    api: Api, public_loopback: Site
) -> None:
    site = public_loopback
    site.routes["/findings.html"] = Route(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
    taken = submit(api, site.url("/findings.html"), "Joint findings")
    assert taken.status_code == 202, taken.text
    doc = taken.json()
    assert taken.headers["location"].endswith(f"/api/v1/documents/{doc['id']}")
    assert (doc["status"], doc["url"], doc["sha256"]) == ("pending", site.url("/findings.html"), None)
    assert api.get(f"/documents/{doc['id']}/raw").status_code == 404  # not fetched yet

    assert fetch.fetch_pending(api.db) == 1
    got = document(api, doc["id"])
    assert got["status"] == "stored", got
    assert got["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert (got["media_type"], got["http_status"], got["final_url"]) == (
        "text/html",
        200,
        site.url("/findings.html"),
    )
    assert got["fetched_at"] is not None and got["link_status"] == "live"
    # Connected to the address vetted, with the name in Host.
    assert site.hits == [("/findings.html", f"127.0.0.1:{site.port}")]
    # The bytes come back as they were served, and the WARC record holds the exchange.
    raw = api.get(f"/documents/{doc['id']}/raw")
    assert raw.content == PAGE and raw.headers["etag"] == f'"{got["sha256"]}"'
    with api.db.transaction(write=False) as session:
        stored = session.get(Document, doc["id"])
        assert stored is not None and stored.warc_sha256 is not None
        warc = session.get(DocumentBlob, stored.warc_sha256)
        assert warc is not None and hashlib.sha256(warc.data).hexdigest() == stored.warc_sha256
    records = [
        (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(warc.data))
    ]
    assert [r[0] for r in records] == ["warcinfo", "request", "response"]
    assert records[2][1] == site.url("/findings.html") and records[2][2] == PAGE

    # Its text is read and searchable like an upload's.
    assert extract.process_pending(api.db) == 1
    hits = api.ok(api.get("/api/v1/search", params={"q": "surveillance", "type": "document"}))["items"]
    assert [(h["id"], h["page"]) for h in hits] == [(doc["id"], 1)]


def test_a_pdf_behind_a_redirect_is_kept_where_it_led(api: Api, public_loopback: Site) -> None:
    site = public_loopback
    site.routes["/old/report"] = Route(301, b"", {"Location": "/reports/2021.pdf"})
    site.routes["/reports/2021.pdf"] = Route(200, REPORT, {"Content-Type": "application/pdf"})
    doc = submit(api, site.url("/old/report")).json()
    fetch.fetch_pending(api.db)
    got = document(api, doc["id"])
    assert (got["status"], got["media_type"], got["final_url"]) == (
        "stored",
        "application/pdf",
        site.url("/reports/2021.pdf"),
    )
    extract.process_pending(api.db)
    hits = api.ok(api.get("/api/v1/search", params={"q": "zebrafish"}))["items"]
    assert [(h["type"], h["id"], h["page"]) for h in hits] == [("document", doc["id"], 3)]


def test_links_to_private_addresses_or_other_schemes_are_refused_when_given(
    api: Api, settings_env: Any
) -> None:
    settings_env(allow_private_urls="false", allow_private_webhooks="false")
    before = api.db
    for url in (
        "http://127.0.0.1/a",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/a",
        "http://10.1.2.3/a",
        "ftp://example.org/a.pdf",
        "file:///etc/passwd",
        "http://example.org:8080/a",
    ):
        refused = submit(api, url)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    with before.transaction(write=False) as session:
        assert session.scalars(select(Document)).all() == []


def test_a_redirect_to_a_private_address_is_refused_at_fetch(api: Api, public_loopback: Site) -> None:
    site = public_loopback
    site.routes["/go"] = Route(302, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})
    doc = submit(api, site.url("/go")).json()
    fetch.fetch_pending(api.db)
    got = document(api, doc["id"])
    assert got["status"] == "failed"
    assert "redirected to http://169.254.169.254/latest/meta-data/" in got["failure"]
    assert "private" in got["failure"] and got["sha256"] is None


def test_a_link_made_private_after_it_was_given_is_refused_at_fetch(
    api: Api, public_loopback: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = public_loopback
    site.routes["/a"] = Route(200, PAGE)
    doc = submit(api, site.url("/a")).json()
    # The name now answers a private address (DNS rebinding): the connection is never made.
    monkeypatch.setattr(urls, "address_allowed", lambda a: False)
    fetch.fetch_pending(api.db)
    got = document(api, doc["id"])
    assert got["status"] == "failed" and "private" in got["failure"]
    assert site.hits == []


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(404, b"gone"), "answered HTTP 404"),
        (Route(200, b"PK\x03\x04" + b"\0" * 100), "none of the types kept"),
        (Route(200, b"%PDF-1.4 " + b"x" * 5000), "over 4,000 bytes"),
    ],
)
def test_fetches_that_cannot_succeed_fail_with_the_reason_at_once(
    api: Api, public_loopback: Site, settings_env: Any, route: Route, reason: str
) -> None:
    site = public_loopback
    settings_env(max_document_bytes="4000")
    site.routes["/x"] = route
    doc = submit(api, site.url("/x")).json()
    assert fetch.fetch_pending(api.db) == 1
    got = document(api, doc["id"])
    assert got["status"] == "failed" and reason in got["failure"], got
    with api.db.transaction(write=False) as session:
        assert session.scalars(select(DocumentBlob)).all() == []


def test_fetches_that_may_pass_are_tried_again_later(api: Api, public_loopback: Site) -> None:
    site = public_loopback
    site.routes["/busy"] = Route(503, b"busy", {"Retry-After": "120"})
    doc = submit(api, site.url("/busy")).json()
    fetch.fetch_pending(api.db)
    got = document(api, doc["id"])
    assert got["status"] == "pending" and got["failure"] == "answered HTTP 503"
    with api.db.transaction(write=False) as session:
        stored = session.get(Document, doc["id"])
        assert stored is not None and stored.attempts == 1
        wait = stored.next_attempt_at.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)  # type: ignore[union-attr]
        assert dt.timedelta(seconds=100) < wait <= dt.timedelta(seconds=121)  # Retry-After honoured
    assert fetch.fetch_pending(api.db) == 0  # not before its time
    site.routes["/busy"] = Route(200, PAGE)
    due_now(api.db, Document.next_attempt_at)
    fetch.fetch_pending(api.db)
    assert document(api, doc["id"])["status"] == "stored"


def test_the_link_checker_marks_a_removed_page_gone_while_the_copy_stays(
    api: Api, public_loopback: Site
) -> None:
    site = public_loopback
    site.routes["/a"] = Route(200, PAGE)
    site.routes["/b"] = Route(200, PAGE + b"<p>b</p>")
    a = submit(api, site.url("/a")).json()
    b = submit(api, site.url("/b")).json()
    fetch.fetch_pending(api.db)
    assert fetch.check_links(api.db) == 0  # nothing due yet
    del site.routes["/a"]
    site.routes["/b"] = Route(302, b"", {"Location": "/elsewhere"})
    site.routes["/elsewhere"] = Route(200, b"moved here")
    due_now(api.db, Document.link_next_check_at)
    site.hits.clear()
    # One request per host at a time: one of the two links of this host per round.
    assert fetch.check_links(api.db) == 1
    assert len(site.hits) == 1
    assert fetch.check_links(api.db) == 1  # the other one, still due
    assert fetch.check_links(api.db) == 0
    assert (document(api, a["id"])["link_status"], document(api, b["id"])["link_status"]) == ("gone", "moved")
    raw = api.get(f"/documents/{a['id']}/raw")
    assert raw.status_code == 200 and raw.content == PAGE
    page = api.get(f"/documents/{a['id']}")
    assert page.status_code == 200 and "Gone (checked" in page.text


def test_a_host_asking_to_wait_is_asked_again_later(api: Api, public_loopback: Site) -> None:
    site = public_loopback
    site.routes["/a"] = Route(200, PAGE)
    doc = submit(api, site.url("/a")).json()
    fetch.fetch_pending(api.db)
    site.routes["/a"] = Route(429, b"slow down", {"Retry-After": "7200"})
    due_now(api.db, Document.link_next_check_at)
    fetch.check_links(api.db)
    assert document(api, doc["id"])["link_status"] == "live"  # not known to be gone
    with api.db.transaction(write=False) as session:
        stored = session.get(Document, doc["id"])
        assert stored is not None and stored.link_next_check_at is not None
        wait = stored.link_next_check_at.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(hours=1, minutes=55) < wait <= dt.timedelta(hours=2)


@pytest.mark.parametrize("name", ["allow_private_urls", "allow_private_webhooks"])
def test_private_links_are_allowed_by_the_setting_or_its_former_name(
    api: Api, settings_env: Any, site: Site, name: str
) -> None:
    settings_env(allow_private_urls="false", allow_private_webhooks="false")
    assert submit(api, site.url("/a")).status_code == 422
    settings_env(**{name: "true"})
    assert submit(api, site.url("/a")).status_code == 202


def test_the_dashboard_counts_the_sources_archived_and_the_links_gone(
    api: Api, public_loopback: Site
) -> None:
    site = public_loopback
    site.routes["/a"] = Route(200, PAGE)
    doc = submit(api, site.url("/a")).json()
    fetch.fetch_pending(api.db)
    regulator = api.ok(
        api.post("/api/v1/regulators", {"name": "Privacy Commissioner", "jurisdiction": "CA"}), 201
    )
    source = {"url": site.url("/a"), "title": "Findings", "document_id": doc["id"]}
    body = {
        "reference": "PIPEDA-2021-001",
        "title": "Clearview AI",
        "kind": "report_of_findings",
        "issued_on": "2021-02-02",
        "regulators": [{"regulator_id": regulator["id"], "role": "lead"}],
        "sources": [source, {"url": "https://example.org/press", "title": "Press release"}],
    }
    api.ok(api.post("/api/v1/decisions", body), 201)
    del site.routes["/a"]
    due_now(api.db, Document.link_next_check_at)
    fetch.check_links(api.db)
    page = api.get("/")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "<strong>1</strong> of 2 decision sources have an archived copy" in text
    assert "<strong>1</strong> is gone and 0 moved" in text

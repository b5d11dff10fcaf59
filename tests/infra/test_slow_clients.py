"""Slow and stalled clients, against the real server (uvicorn on a free loopback port).

A client that sends a request's headers and then holds its body back (or one that stops
reading a download) must not stop anyone else's writes: bodies are read whole before the app
(and any transaction) sees the request, and downloads are abandoned when their client stalls.
"""

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
import uvicorn

from app import migrate
from app.config import get_settings
from app.db import Database
from app.main import create_app
from app.services.accounts import tokens
from app.vocab import Role
from tests.web_helpers import PASSWORD, fast_passwords, make_user

__all__ = ["fast_passwords"]

# Every route that writes, by method and path (ids of records the fixture makes).
WRITE_ROUTES = [
    ("POST", "/signin"),
    ("POST", "/signout"),
    ("POST", "/regulators/new"),
    ("POST", "/regulators/1/edit"),
    ("POST", "/organisations/new"),
    ("POST", "/organisations/1/edit"),
    ("POST", "/cases/new"),
    ("POST", "/cases/1/edit"),
    ("POST", "/decisions/new"),
    ("POST", "/decisions/1/edit"),
    ("POST", "/recommendations/new"),
    ("POST", "/recommendations/1/edit"),
    ("POST", "/recommendations/1/assessments/new"),
    ("POST", "/api/v1/regulators"),
    ("PATCH", "/api/v1/regulators/1"),
    ("DELETE", "/api/v1/regulators/1"),
    ("POST", "/api/v1/organisations"),
    ("PATCH", "/api/v1/organisations/1"),
    ("POST", "/api/v1/cases"),
    ("PATCH", "/api/v1/cases/1"),
    ("POST", "/api/v1/decisions"),
    ("PATCH", "/api/v1/decisions/1"),
    ("POST", "/api/v1/recommendations"),
    ("PATCH", "/api/v1/recommendations/1"),
    ("POST", "/api/v1/recommendations/1/assessments"),
    ("POST", "/api/v1/import"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/1"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    url: str
    port: int
    path: Path
    admin: str


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Site]:
    # A writer that finds the database locked gives up after half a second (503): a stalled
    # client holding the write lock would show at once.
    settings = get_settings()
    monkeypatch.setattr(settings, "sqlite_busy_timeout", 0.5)
    monkeypatch.setattr(settings, "body_timeout", getattr(request, "param", 60.0))
    monkeypatch.setattr(settings, "send_timeout", 1.0)
    path = tmp_path / "site.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    db = Database(url)
    make_user(db, "editor@example.org", Role.editor)
    with db.transaction(actor="test") as session:
        _, admin = tokens.create(session, name="admin", role=Role.admin)
    port = free_port()
    config = uvicorn.Config(
        create_app(db), host="127.0.0.1", port=port, log_level="critical", ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield Site(f"http://127.0.0.1:{port}", port, path, admin)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        db.dispose()


def half_sent(site: Site, method: str, path: str, headers: dict[str, str]) -> socket.socket:
    """A connection that sent a request's headers, announcing a body it never sends."""
    sock = socket.create_connection(("127.0.0.1", site.port))
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{site.port}", "Content-Length: 100"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def test_half_sent_bodies_leave_every_write_working(site: Site) -> None:
    api_headers = {"Authorization": f"Bearer {site.admin}", "Content-Type": "application/json"}
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
    held = [
        half_sent(site, method, path, api_headers if path.startswith("/api/") else form_headers)
        for method, path in WRITE_ROUTES
    ]
    try:
        with httpx.Client(base_url=site.url, timeout=30) as client:
            # Let the server take every stalled request in before the real writes.
            assert client.get("/api/v1/regulators").status_code == 200
            auth = {"Authorization": f"Bearer {site.admin}"}
            created = client.post(
                "/api/v1/regulators", json={"name": "Garante", "jurisdiction": "IT"}, headers=auth
            )
            assert created.status_code == 201, created.text
            url = created.headers["location"]
            patched = client.patch(
                url, json={"short_name": "GPDP"}, headers=auth | {"If-Match": created.headers["etag"]}
            )
            assert patched.status_code == 200, patched.text
            signed_in = client.post(
                "/signin",
                data={"email": "editor@example.org", "password": PASSWORD, "next": "/"},
                follow_redirects=False,
            )
            assert signed_in.status_code == 303, signed_in.text
            page = client.get("/regulators/new")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            posted = client.post(
                "/regulators/new",
                data={"csrf_token": token, "name": "CNIL", "jurisdiction": "FR", "kind": "regulator"},
                follow_redirects=False,
            )
            assert posted.status_code == 303, posted.text
    finally:
        for sock in held:
            sock.close()
    with sqlite3.connect(site.path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM regulators")}
    assert names == {"Garante", "CNIL"}


@pytest.mark.parametrize("site", [0.3], indirect=True)
def test_a_body_that_never_comes_gets_408(site: Site) -> None:
    sock = half_sent(site, "POST", "/signin", {"Content-Type": "application/x-www-form-urlencoded"})
    sock.settimeout(90)
    try:
        answer = sock.recv(65536).decode("latin-1")
    finally:
        sock.close()
    assert answer.startswith("HTTP/1.1 408"), answer[:200]


def fill_regulators(path: Path, count: int) -> None:
    """Many regulators, written straight into the file: an export of several megabytes."""
    rows = [
        (
            f"Regulator {i} " + "x" * 150,
            "FR",
            "regulator",
            f"https://example.org/{i}",
            "2026-01-01 00:00:00.000000",
        )
        for i in range(count)
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO regulators (name, jurisdiction, kind, website, version, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 1, ?5, ?5)",
            rows,
        )


def checkpoint(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


def test_a_stalled_export_does_not_pin_the_wal(site: Site) -> None:
    fill_regulators(site.path, 40_000)
    sock = socket.socket()
    # A client that reads almost nothing: the server's buffers fill and its sends block.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", site.port))
    sock.sendall(f"GET /api/v1/export HTTP/1.1\r\nHost: 127.0.0.1:{site.port}\r\n\r\n".encode())
    assert sock.recv(1024).startswith(b"HTTP/1.1 200")
    try:
        with httpx.Client(base_url=site.url, timeout=30) as client:
            auth = {"Authorization": f"Bearer {site.admin}"}
            for i in range(50):
                response = client.post(
                    "/api/v1/cases", json={"title": f"Written during the stalled export {i}"}, headers=auth
                )
                assert response.status_code == 201, response.text
        # While the export's snapshot is open, no checkpoint can reset the WAL; once the server
        # abandons the stalled download (after its send timeout), a full checkpoint succeeds.
        deadline = time.monotonic() + 30
        result = checkpoint(site.path)
        while result[0] != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
            result = checkpoint(site.path)
        assert result == (0, 0, 0), f"the WAL could not be checkpointed: {result}"
    finally:
        sock.close()
    assert (site.path.parent / (site.path.name + "-wal")).stat().st_size == 0


def test_sqlite_connections_bound_the_wal(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'limit.sqlite3'}")
    try:
        with db.engine.connect() as conn:
            limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
        assert limit == get_settings().sqlite_journal_size_limit == 64 << 20
    finally:
        db.dispose()


@pytest.mark.parametrize("path", ["/api/v1/import", "/api/v1/documents"])
@pytest.mark.parametrize("who", ["anonymous", "reader", "forged"])
def test_a_large_body_is_refused_before_it_is_read(site: Site, who: str, path: str) -> None:
    """A 600 MB import (or a document upload) announced by a caller who may not make it gets
    401 or 403 at once, before any of its body is sent (an import used to be spooled to disk
    whole, then refused)."""
    headers = {"Content-Type": "application/json"}
    if who == "reader":
        db = Database(f"sqlite:///{site.path}")
        with db.transaction(actor="test") as session:
            _, secret = tokens.create(session, name="reader", role=Role.reader)
        db.dispose()
        headers["Authorization"] = f"Bearer {secret}"
    elif who == "forged":
        headers["Authorization"] = "Bearer ft_forged"
    sock = socket.create_connection(("127.0.0.1", site.port))
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{site.port}", "Content-Length: 600000000"]
    sock.sendall(("\r\n".join(lines + [f"{k}: {v}" for k, v in headers.items()]) + "\r\n\r\n").encode())
    sock.settimeout(60)
    try:
        answer = sock.recv(65536).decode("latin-1")
    finally:
        sock.close()
    expected = "403" if who == "reader" else "401"
    assert answer.startswith(f"HTTP/1.1 {expected}"), answer[:300]
    assert "application/problem+json" in answer


def test_a_large_form_from_nobody_signed_in_is_sent_to_sign_in_before_it_is_read(site: Site) -> None:
    """The assessment form takes a document (up to MAX_DOCUMENT_BYTES): an anonymous 600 MB post
    is answered at once, as the page answers anyone not signed in, before any body is sent."""
    sock = socket.create_connection(("127.0.0.1", site.port))
    lines = [
        "POST /recommendations/1/assessments/new HTTP/1.1",
        f"Host: 127.0.0.1:{site.port}",
        "Content-Type: multipart/form-data; boundary=x",
        "Content-Length: 600000000",
    ]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sock.settimeout(60)
    try:
        answer = sock.recv(65536).decode("latin-1")
    finally:
        sock.close()
    assert answer.startswith("HTTP/1.1 303"), answer[:300]
    assert "location: /signin?next=%2frecommendations%2f1%2fassessments%2fnew" in answer.lower()

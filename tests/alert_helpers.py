"""Real peers for the alert tests: an SMTP server (aiosmtpd, STARTTLS with a test CA) that
keeps what it receives, and an HTTP receiver that keeps each webhook and can be told to fail."""

import email
import email.policy
import http.server
import json
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller

from app.config import get_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Keep:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"


@dataclass
class Mailbox:
    handler: _Keep

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def text(msg: EmailMessage) -> str:
        body = msg.get_body(("plain",))
        assert body is not None
        return str(body.get_content())

    def link(self, msg: EmailMessage, path_part: str) -> str:
        found = re.search(r"https?://\S*" + re.escape(path_part) + r"\S*", self.text(msg))
        assert found, f"no link with {path_part} in: {self.text(msg)}"
        return found.group(0)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set environment settings for one test (the settings are re-read, then restored)."""

    def set_(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key.upper(), value)
        get_settings.cache_clear()

    get_settings.cache_clear()
    yield set_
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def smtp(settings_env: Any, tmp_path: Path) -> Iterator[Mailbox]:
    """A real SMTP server on loopback that requires STARTTLS (certificate from a test CA)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler = _Keep()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    settings_env(
        smtp_url=f"smtp://127.0.0.1:{port}", smtp_ca_file=str(ca_file), allow_private_urls="true"
    )
    try:
        yield Mailbox(handler)
    finally:
        controller.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Answer 500 to this many requests before answering 204.
    fail_next: int = 0
    always_fail: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of_type(self, type_: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.json["type"] == type_]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback, keeping every request."""
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hook")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with state.lock:
                state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                fail = state.always_fail or state.fail_next > 0
                if state.fail_next > 0:
                    state.fail_next -= 1
            self.send_response(500 if fail else 204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

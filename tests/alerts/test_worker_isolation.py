"""No subscriber stops the worker, and none holds it: every delivery is isolated, bounded in
time and size, sent to the address that was vetted; account e-mail goes on its own queue;
webhook addresses are checked by the HTTP client's own parser and must be public.

Real peers on loopback (the SMTP server and webhook receivers of tests/alert_helpers.py, and
raw-socket receivers below that trickle or flood their answers).
"""

import datetime as dt
import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from app.models import Delivery, Subscription
from app.services.alerts import notices, subscriptions, worker
from app.vocab import Channel, DeliveryStatus, Role, TargetType
from tests.alert_helpers import Mailbox, Receiver, free_port
from tests.alerts.test_alerts import follow_by_email, record, webhook
from tests.conftest import Api
from tests.web_helpers import fast_passwords  # noqa: F401


def poisoned(db: Database, url: str, target_id: int) -> int:
    """A webhook subscription with an address written before today's checks (as the old code
    let through): the worker must survive it."""
    with db.transaction(actor="test") as session:
        sub = Subscription(
            token_id=1,
            target_type=TargetType.organisation,
            target_id=target_id,
            events=["recommendation.status_changed", "assessment.created"],
            channel=Channel.webhook,
            url=url,
            digest=False,
            secret=subscriptions.new_secret(),
            failures=0,
        )
        session.add(sub)
        session.flush()
        return sub.id


def reset_mail(db: Database, to: str = "ann@example.org") -> None:
    with db.transaction(actor="test") as session:
        notices.send(session, to=to, subject="Reset your Findings Tracker password", body="Open this link.")


def deliveries(db: Database) -> list[Delivery]:
    with db.transaction(write=False) as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


@pytest.mark.parametrize("url", ["http://☃.net/hook", "http://1.1.1.1/a\x7fb", "http://1.1.1.1/a b"])
def test_an_address_the_client_refuses_stops_nothing(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox, url: str
) -> None:
    r = record(api)
    target = {"type": "organisation", "id": r["clearview"]["id"]}
    refused = api.post(
        "/api/v1/subscriptions", {"target": target, "channel": "webhook", "url": url}, role=Role.reader
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url", refused.text
    bad = poisoned(db, url, r["clearview"]["id"])
    good = webhook(api, target, receiver.url, ["assessment.created"])
    reset_mail(db)
    api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
    done = worker.run_once(db)
    assert len(receiver.of_type("assessment.created")) == 1
    assert [m["Subject"] for m in smtp.to("ann@example.org")] == ["Reset your Findings Tracker password"]
    rows = deliveries(db)
    assert {d.status for d in rows if d.subscription_id == good["id"]} == {DeliveryStatus.delivered}
    failed = [d for d in rows if d.subscription_id == bad]
    assert failed and failed[0].status is DeliveryStatus.pending and failed[0].attempts == 1
    assert (failed[0].last_error or "").startswith("url: ")
    assert done.delivered == 2


def test_the_web_form_checks_the_address_as_the_client_will(
    api: Api, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    csrf = api.sign_in(Role.reader)
    page = api.client.post(
        "/follow",
        data={
            "csrf_token": csrf,
            "type": "organisation",
            "id": str(r["clearview"]["id"]),
            "events": ["assessment.created"],
            "channel": "webhook",
            "url": "http://1.1.1.1/a\x7fb",
        },
        follow_redirects=False,
    )
    assert page.status_code == 422, page.text[:300]
    assert "control characters" in page.text


def test_a_title_with_a_line_break_is_mailed_on_one_subject_line(
    api: Api, db: Database, smtp: Mailbox
) -> None:
    reg = api.regulator()
    org = api.organisation("Clearview AI,\r\nInc.")
    decision = api.decision(
        reg["id"], reference="A\nB", organisations=[{"organisation_id": org["id"], "role": "respondent"}]
    )
    rec = api.recommendation(decision["id"], org["id"])
    assert follow_by_email(api, "organisation", org["id"]).status_code == 303
    api.assess(rec["id"], "complied", "2024-01-15")
    reset_mail(db, "reader@example.org")
    done = worker.run_once(db)
    assert done.retried == 0 and done.delivered >= 2
    subjects = [str(m["Subject"]) for m in smtp.to("reader@example.org")]
    assert any(s.startswith("Clearview AI, Inc.:") for s in subjects), subjects
    assert all("\n" not in s and "\r" not in s for s in subjects)


# -- Raw receivers -------------------------------------------------------------------------


@dataclass
class RawReceiver:
    """A loopback HTTP server answering each request by `answer(conn, receiver)`."""

    port: int
    host: str = "127.0.0.1"
    sent: list[int] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"


@contextmanager
def raw_receiver(answer: Any, host: str = "127.0.0.1", port: int | None = None) -> Iterator[RawReceiver]:
    state = RawReceiver(port or free_port(), host)
    server = socket.create_server((host, state.port))
    server.settimeout(0.2)

    def serve() -> None:
        while not state.done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                state.requests.append(data)
                with suppress(OSError):
                    answer(conn, state)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.done.set()
        thread.join(10)
        server.close()


# A whole 200 answer, about a minute long at one byte every half second.
TRICKLED = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"." * 80 + b"\r\nContent-Length: 0\r\n\r\n"


def trickle(conn: socket.socket, state: RawReceiver) -> None:
    """`TRICKLED`, one byte every half second."""
    for byte in TRICKLED:
        if state.done.wait(0.5):
            return
        conn.sendall(bytes([byte]))
        state.sent.append(1)


def flood(conn: socket.socket, state: RawReceiver) -> None:
    """A 200 answer announcing 400 MB, sent for as long as the client reads."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 400000000\r\n\r\n")
    block = b"x" * 65536
    for _ in range(400_000_000 // len(block)):
        conn.sendall(block)
        state.sent.append(len(block))


def test_a_trickling_receiver_costs_one_bounded_attempt(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox, settings_env: Any
) -> None:
    settings_env(webhook_timeout="2")
    r = record(api)
    target = {"type": "organisation", "id": r["clearview"]["id"]}
    with raw_receiver(trickle) as slow:
        stalled = webhook(api, target, slow.url, ["assessment.created"])
        good = webhook(
            api, {"type": "decision", "id": r["decision"]["id"]}, receiver.url, ["assessment.created"]
        )
        for day in (15, 16, 17):
            api.assess(r["recs"][0]["id"], "complied", f"2024-01-{day}")
        reset_mail(db)
        now = dt.datetime.now(dt.UTC)
        done = worker.run_once(db, now=now)
    assert len(receiver.of_type("assessment.created")) == 3
    assert len(smtp.to("ann@example.org")) == 1
    # The trickle was cut at the bound (the whole answer would have taken a minute): one
    # failed attempt; the subscription's two other deliveries wait behind it, unattempted.
    assert len(slow.requests) == 1 and len(slow.sent) < len(TRICKLED)
    rows = [d for d in deliveries(db) if d.subscription_id == stalled["id"]]
    assert [d.attempts for d in rows] == [1, 0, 0]
    assert all(d.status is DeliveryStatus.pending for d in rows)
    # Its retry is counted from the end of the attempt (at least the 2 s it took), not from
    # its start, and the others follow it.
    first = rows[0].next_attempt_at.replace(tzinfo=dt.UTC)
    assert first >= now + worker.BACKOFF[0] + dt.timedelta(seconds=2)
    assert {d.next_attempt_at for d in rows[1:]} == {rows[0].next_attempt_at}
    assert rows[0].last_error == "could not be reached, or did not answer within 2 seconds"
    assert done.delivered == 4 and done.retried == 1
    assert {d.status for d in deliveries(db) if d.subscription_id == good["id"]} == {DeliveryStatus.delivered}


def test_a_huge_answer_is_not_read(api: Api, db: Database, smtp: Mailbox) -> None:
    r = record(api)
    with raw_receiver(flood) as big:
        webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, big.url, ["assessment.created"])
        api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
        done = worker.run_once(db)
        big.done.set()
    assert done.delivered == 1
    # The connection was closed after the status: far less than the 400 MB was ever sent.
    assert sum(big.sent) < 50_000_000


def test_errors_say_nothing_of_the_network_beyond(api: Api, db: Database, smtp: Mailbox) -> None:
    r = record(api)
    closed = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, closed, ["assessment.created"])
    api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
    worker.run_once(db)
    [row] = deliveries(db)
    assert row.last_error is not None
    assert "refused" not in row.last_error.lower() and "errno" not in row.last_error.lower()
    assert row.last_error.startswith("could not be reached, or did not answer within")


def test_the_send_goes_to_the_address_that_was_vetted(
    api: Api, db: Database, smtp: Mailbox, settings_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name answering a public address to the check and a private one right after (DNS
    rebinding) gets its delivery at the first, with its own name in `Host`: the send resolves
    nothing. Here 127.3.0.1 stands for a public address (the standard library is told so)."""
    public, private = "127.3.0.1", "127.3.0.2"
    real_global = ipaddress.IPv4Address.is_global
    monkeypatch.setattr(
        ipaddress.IPv4Address, "is_global", property(lambda ip: str(ip) == public or real_global.fget(ip))
    )
    r = record(api)
    answers = iter([public] + [private] * 50)
    real = socket.getaddrinfo

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("hooks.example", b"hooks.example"):
            return real(next(answers), *args, **kwargs)
        return real(host, *args, **kwargs)

    def ok(conn: socket.socket, state: RawReceiver) -> None:
        conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    try:
        servers = raw_receiver(ok, public, 80), raw_receiver(ok, private, 80)
        vetted, other = servers[0].__enter__(), servers[1].__enter__()
    except PermissionError:
        pytest.skip("binding port 80 on loopback needs root here")
    try:
        # Made while the name still answers the public address.
        monkeypatch.setattr(socket, "getaddrinfo", lambda host, *a, **k: real(public, *a, **k))
        target = {"type": "organisation", "id": r["clearview"]["id"]}
        webhook(api, target, "http://hooks.example/hook", ["assessment.created"])
        settings_env(allow_private_urls="false")
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
        done = worker.run_once(db)
    finally:
        for server in servers:
            server.__exit__(None, None, None)
    assert done.delivered == 1 and other.requests == []
    [request] = vetted.requests
    assert b"host: hooks.example\r\n" in request.lower()


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://[::127.0.0.1]/hook", "address"),
        ("http://[::ffff:127.0.0.1]/hook", "address"),
        ("http://[64:ff9b::a9fe:a9fe]/hook", "address"),
        ("http://[2002:7f00:1::]/hook", "address"),
        ("http://[fec0::1]/hook", "address"),
        ("http://[2001::1]/hook", "address"),
        ("http://1.1.1.1:8080/hook", "port"),
        ("https://1.1.1.1:22/hook", "port"),
    ],
)
def test_special_addresses_and_ports_are_refused(api: Api, url: str, kind: str) -> None:
    r = record(api)
    response = api.post(
        "/api/v1/subscriptions",
        {"target": {"type": "organisation", "id": r["clearview"]["id"]}, "channel": "webhook", "url": url},
        role=Role.reader,
    )
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "url" and error["type"] == kind


def test_an_owner_holds_a_bounded_number_of_subscriptions(
    api: Api, receiver: Receiver, smtp: Mailbox, settings_env: Any
) -> None:
    settings_env(subscriptions_per_owner="3")
    r = record(api)
    for i in range(3):
        webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, f"{receiver.url}{i}")
    refused = api.post(
        "/api/v1/subscriptions",
        {
            "target": {"type": "organisation", "id": r["clearview"]["id"]},
            "channel": "webhook",
            "url": receiver.url,
        },
        role=Role.reader,
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["type"] == "limit"
    # Another owner is not counted against this one.
    webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, receiver.url, role=Role.editor)


def test_account_mail_has_a_queue_of_its_own(
    api: Api, db: Database, smtp: Mailbox, settings_env: Any
) -> None:
    """The running worker sends a reset e-mail while a stalled receiver holds its webhooks."""
    settings_env(webhook_timeout="30")
    r = record(api)
    with raw_receiver(trickle) as slow:
        webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, slow.url, ["assessment.created"])
        api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
        stop = threading.Event()
        running = threading.Thread(target=worker.run, args=(db,), kwargs={"stop": stop, "interval": 0.1})
        running.start()
        try:
            while not slow.requests:  # the webhook is being sent, slowly
                threading.Event().wait(0.05)
            reset_mail(db)
            while not smtp.to("ann@example.org"):
                assert len(slow.sent) < len(TRICKLED), "the reset waited for the stalled webhook"
                threading.Event().wait(0.05)
        finally:
            stop.set()
            slow.done.set()
            running.join(60)
    assert not running.is_alive()


def test_a_retried_subscription_with_its_idempotency_key_is_made_once(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    body = {
        "target": {"type": "organisation", "id": r["clearview"]["id"]},
        "channel": "webhook",
        "url": receiver.url,
    }
    key = {"Idempotency-Key": "follow-clearview-1"}
    first = api.post("/api/v1/subscriptions", body, role=Role.reader, headers=key)
    again = api.post("/api/v1/subscriptions", body, role=Role.reader, headers=key)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    with db.transaction(write=False) as session:
        assert len(list(session.scalars(select(Subscription)))) == 1

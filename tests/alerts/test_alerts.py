"""Alerts end to end: subscriptions, the outbox written with the change, the worker, a real
SMTP server and a real webhook receiver that checks each signature (Standard Webhooks)."""

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from app.db import Database
from app.models import Delivery, OutboxEvent, Subscription
from app.schemas.recommendation import AssessmentCreate
from app.services.alerts import worker
from app.services.record import recommendations
from app.vocab import DeliveryStatus, Role
from tests.alert_helpers import Mailbox, Receiver
from tests.conftest import Api
from tests.web_helpers import fast_passwords  # noqa: F401

ALL = ["decision.created", "recommendation.status_changed", "decision.standing_changed", "assessment.created"]


def record(api: Api) -> dict[str, Any]:
    """Clearview, an unrelated party, a regulator, a decision against Clearview and two
    recommendations addressed to it."""
    reg = api.regulator()
    clearview = api.organisation("Clearview AI, Inc.")
    other = api.organisation("Another Company Ltd")
    decision = api.decision(
        reg["id"],
        reference="PIPEDA-2021-001",
        organisations=[{"organisation_id": clearview["id"], "role": "respondent"}],
    )
    recs = [api.recommendation(decision["id"], clearview["id"], text=f"Stop doing {i}") for i in (1, 2)]
    return {"reg": reg, "clearview": clearview, "other": other, "decision": decision, "recs": recs}


def webhook(
    api: Api, target: dict[str, Any], url: str, events: list[str] | None = None, role: Role = Role.reader
) -> dict[str, Any]:
    body: dict[str, Any] = {"target": target, "channel": "webhook", "url": url}
    if events is not None:
        body["events"] = events
    return api.ok(api.post("/api/v1/subscriptions", body, role=role), 201)


def follow_by_email(api: Api, target_type: str, target_id: int | None = None, **extra: Any) -> Any:
    csrf = api.sign_in(Role.reader)
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "type": target_type,
        "events": ALL,
        "channel": "email",
        **extra,
    }
    if target_id is not None:
        data["id"] = str(target_id)
    return api.client.post("/follow", data=data, follow_redirects=False)


def verified(received: Any, secret: str) -> Any:
    """The payload, after checking the signature as a Standard Webhooks receiver does."""
    return Webhook(secret).verify(received.body, received.headers)


def outbox_count(db: Database) -> int:
    with db.transaction(write=False) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxEvent)) or 0)


def test_an_assessment_changing_clearviews_status_is_delivered_once_per_subscription(
    api: Api, db: Database, smtp: Mailbox, receiver: Receiver
) -> None:
    r = record(api)
    hook = webhook(
        api,
        {"type": "organisation", "id": r["clearview"]["id"]},
        receiver.url,
        ["recommendation.status_changed"],
    )
    assert hook["secret"].startswith("whsec_")
    # Someone following another party hears nothing.
    webhook(api, {"type": "organisation", "id": r["other"]["id"]}, receiver.url)
    followed = follow_by_email(api, "organisation", r["clearview"]["id"])
    assert followed.status_code == 303, followed.text

    api.assess(r["recs"][0]["id"], "complied", "2024-01-15", note="Deleted the images")
    done = worker.run_once(db)
    assert (done.delivered, done.failed) == (3, 0)

    [hit] = receiver.received
    payload = verified(hit, hook["secret"])
    assert payload["type"] == "recommendation.status_changed"
    assert payload["data"]["before"] == "pending" and payload["data"]["after"] == "complied"
    assert payload["data"]["recommendation"]["id"] == r["recs"][0]["id"]
    mails = smtp.to("reader@example.org")
    subjects = sorted(m["Subject"] for m in mails)
    assert len(mails) == 2, subjects
    status_changed = "Clearview AI, Inc.: Recommendation"
    assert any(s.startswith(status_changed) and s.endswith(": Complied") for s in subjects)
    assert any("New assessment" in s for s in subjects)
    assert all(s.startswith("Clearview AI, Inc.: ") for s in subjects)
    assert "Deleted the images" in "".join(Mailbox.text(m) for m in mails)
    assert all(m["List-Unsubscribe"] for m in mails)

    # Nothing is sent twice.
    again = worker.run_once(db)
    assert (again.events, again.delivered) == (0, 0)
    assert len(receiver.received) == 1 and len(smtp.messages) == 2


def test_a_rolled_back_change_writes_no_event(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, receiver.url)
    before = outbox_count(db)
    with pytest.raises(RuntimeError), db.transaction(actor="test") as session:
        recommendations.add_assessment(
            session,
            recommendation_id=r["recs"][0]["id"],
            data=AssessmentCreate(
                status="complied", assessed_on=dt.date(2024, 1, 1), asserted_by="regulator"
            ),
        )
        session.flush()
        raise RuntimeError("the change fails after the assessment was written")
    assert outbox_count(db) == before
    assert worker.run_once(db).delivered == 0
    assert receiver.received == []


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    hook = webhook(api, {"type": "decision", "id": r["decision"]["id"]}, receiver.url, ["assessment.created"])
    api.assess(r["recs"][1]["id"], "not_complied", "2024-02-01")
    receiver.fail_next = 2
    t0 = dt.datetime.now(dt.UTC)
    assert worker.run_once(db, now=t0).retried == 1
    assert worker.run_once(db, now=t0 + dt.timedelta(seconds=10)).retried == 0  # not due yet
    assert worker.run_once(db, now=t0 + worker.BACKOFF[0]).retried == 1
    third = worker.run_once(db, now=t0 + worker.BACKOFF[0] + worker.BACKOFF[1])
    assert third.delivered == 1
    assert len(receiver.received) == 3
    assert len({hit.headers["webhook-id"] for hit in receiver.received}) == 1  # one message, retried
    assert verified(receiver.received[-1], hook["secret"])["type"] == "assessment.created"
    with db.transaction(write=False) as session:
        delivery = session.scalars(select(Delivery).where(Delivery.subscription_id == hook["id"])).one()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (DeliveryStatus.delivered, 3, 204)


def test_a_receiver_failing_for_a_day_turns_the_subscription_off_and_tells_its_owner(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    csrf = api.sign_in(Role.reader)
    made = api.client.post(
        "/follow",
        data={
            "csrf_token": csrf,
            "type": "decision",
            "id": str(r["decision"]["id"]),
            "events": ALL,
            "channel": "webhook",
            "url": receiver.url,
        },
    )
    assert made.status_code == 201 and "whsec_" in made.text
    receiver.always_fail = True
    api.assess(r["recs"][0]["id"], "pending", "2024-03-01")
    now = dt.datetime.now(dt.UTC)
    worker.run_once(db, now=now)
    for wait in worker.BACKOFF:
        now += wait
        worker.run_once(db, now=now)
    assert len(receiver.received) == len(worker.BACKOFF) + 1
    with db.transaction(write=False) as session:
        sub = session.scalars(select(Subscription).where(Subscription.user_id.is_not(None))).one()
        assert sub.disabled_at is not None and "failed for a day" in (sub.disabled_reason or "")
    worker.run_once(db, now=now)
    [notice] = smtp.to("reader@example.org")
    assert notice["Subject"] == "An alert of yours was turned off"
    page = api.client.get("/subscriptions")
    assert "Turned off" in page.text and "Turn back on" in page.text


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
        "http://192.168.0.10/",
        "http://0.0.0.0/",
    ],
)
def test_a_webhook_to_a_private_address_is_refused_without_the_setting(api: Api, url: str) -> None:
    r = record(api)
    response = api.post(
        "/api/v1/subscriptions",
        {"target": {"type": "organisation", "id": r["clearview"]["id"]}, "channel": "webhook", "url": url},
        role=Role.reader,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"


def test_a_webhook_pointed_at_a_private_address_later_is_not_sent(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox, settings_env: Any
) -> None:
    r = record(api)
    webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, receiver.url)
    settings_env(allow_private_urls="false")
    api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
    done = worker.run_once(db)
    # The first delivery fails; the subscription's next one waits for its retry, unattempted.
    assert done.delivered == 0 and done.retried == 1
    assert receiver.received == []
    with db.transaction(write=False) as session:
        rows = session.execute(select(Delivery.attempts, Delivery.last_error).order_by(Delivery.id)).all()
    assert [attempts for attempts, _ in rows] == [1, 0]
    assert "loopback, private or link-local" in (rows[0][1] or "")


def test_each_event_is_delivered_once_with_two_workers(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("several workers run against PostgreSQL (SKIP LOCKED); SQLite runs one")
    r = record(api)
    webhook(api, {"type": "regulator", "id": r["reg"]["id"]}, receiver.url, ["assessment.created"])
    for i in range(40):
        api.assess(r["recs"][i % 2]["id"], "pending", f"2024-01-{(i % 28) + 1:02d}")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                worker.run_once(db)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [hit.headers["webhook-id"] for hit in receiver.received]
    assert len(ids) == 40 and len(set(ids)) == 40
    assessment_ids = {hit.json["data"]["assessment"]["id"] for hit in receiver.received}
    assert len(assessment_ids) == 40


def test_a_digest_sends_one_email_a_day(api: Api, db: Database, smtp: Mailbox) -> None:
    r = record(api)
    assert follow_by_email(api, "organisation", r["clearview"]["id"], digest="on").status_code == 303
    api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
    api.assess(r["recs"][1]["id"], "not_complied", "2024-01-16")
    now = dt.datetime.now(dt.UTC)
    assert worker.run_once(db, now=now).delivered == 0
    assert smtp.messages == []
    later = worker.run_once(db, now=worker.next_digest(now, 7))
    assert later.delivered == 4  # two assessments, two status changes, in one message
    [digest] = smtp.messages
    assert "4 changes today" in digest["Subject"]


def test_the_unsubscribe_link_works_without_signing_in(api: Api, db: Database, smtp: Mailbox) -> None:
    r = record(api)
    assert follow_by_email(api, "decision", r["decision"]["id"]).status_code == 303
    api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
    worker.run_once(db)
    link = smtp.link(smtp.messages[0], "/unsubscribe/")
    path = link.split("127.0.0.1:8000", 1)[1]
    api.client.cookies.clear()
    page = api.client.get(path)
    assert page.status_code == 200 and "Stop alerts about" in page.text
    assert api.client.post(path + "x").status_code == 404  # a forged token
    done = api.client.post(path)
    assert done.status_code == 200 and "You no longer follow" in done.text
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 0
    assert api.client.get(path).status_code == 404


def test_subscriptions_belong_to_their_owner(api: Api, receiver: Receiver, smtp: Mailbox) -> None:
    r = record(api)
    mine = webhook(api, {"type": "organisation", "id": r["clearview"]["id"]}, receiver.url, role=Role.reader)
    assert api.get(f"/api/v1/subscriptions/{mine['id']}", headers=api.auth(Role.editor)).status_code == 404
    assert api.get("/api/v1/subscriptions", headers=api.auth(Role.editor)).json()["items"] == []
    listed = api.get("/api/v1/subscriptions", headers=api.auth(Role.reader)).json()["items"]
    assert [s["id"] for s in listed] == [mine["id"]] and "secret" not in listed[0]
    assert api.get("/api/v1/subscriptions").status_code == 401
    # The account's page lists only the account's own: the token's is not there.
    api.sign_in(Role.reader)
    page = api.client.get("/subscriptions")
    assert page.status_code == 200 and "You follow nothing yet" in page.text


def test_a_subscription_is_updated_and_deleted_with_if_match(
    api: Api, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    sub = webhook(api, {"type": "decision", "id": r["decision"]["id"]}, receiver.url)
    url = f"/api/v1/subscriptions/{sub['id']}"
    read = api.get(url, headers=api.auth(Role.reader))
    etag = read.headers["etag"]
    changed = api.patch(
        url, {"events": ["decision.standing_changed"]}, role=Role.reader, headers={"If-Match": etag}
    )
    assert changed.status_code == 200 and changed.json()["events"] == ["decision.standing_changed"]
    stale = api.patch(url, {"digest": False}, role=Role.reader, headers={"If-Match": etag})
    assert stale.status_code == 412
    bad = api.patch(
        url, {"events": ["no.such"]}, role=Role.reader, headers={"If-Match": changed.headers["etag"]}
    )
    assert bad.status_code == 422
    gone = api.delete(url, role=Role.reader, headers={"If-Match": changed.headers["etag"]})
    assert gone.status_code == 204
    assert api.get(url, headers=api.auth(Role.reader)).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": {"type": "organisation", "id": 999999}, "channel": "webhook"}, "target.id"),
        ({"target": {"type": "organisation"}, "channel": "webhook"}, "target.id"),
        ({"target": {"type": "query", "query": "colour=red"}, "channel": "webhook"}, "target.query.colour"),
        ({"target": {"type": "query", "query": "kind=nonsense"}, "channel": "webhook"}, "target.query.kind"),
        ({"target": {"type": "query", "query": "sort=-issued_on"}, "channel": "webhook"}, "target.query"),
        ({"target": {"type": "query"}, "channel": "webhook"}, "target.query"),
        ({"target": {"type": "decision", "id": 1}, "channel": "email"}, "channel"),
        ({"target": {"type": "decision", "id": 1}, "channel": "webhook", "events": []}, "events"),
        ({"target": {"type": "decision", "id": 1}, "channel": "webhook", "digest": True}, "digest"),
        ({"target": {"type": "decision", "id": 1}, "channel": "webhook", "url": None}, "url"),
    ],
)
def test_a_bad_subscription_is_refused_naming_the_field(
    api: Api, receiver: Receiver, smtp: Mailbox, body: dict[str, Any], field: str
) -> None:
    record(api)
    body = {"url": receiver.url} | body
    response = api.post("/api/v1/subscriptions", body, role=Role.reader)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_a_query_subscription_hears_of_matching_new_decisions_only(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    ca = api.regulator()
    gb = api.regulator("Information Commissioner's Office", jurisdiction="GB")
    sub = webhook(
        api, {"type": "query", "query": "kind=fine&jurisdiction=CA"}, receiver.url, ["decision.created"]
    )
    assert sub["target"]["query"] == "jurisdiction=CA&kind=fine"
    api.decision(ca["id"], reference="CA-FINE", kind="fine", penalty_amount="1000", penalty_currency="CAD")
    api.decision(gb["id"], reference="GB-FINE", kind="fine", penalty_amount="1000", penalty_currency="GBP")
    api.decision(ca["id"], reference="CA-REPORT")
    worker.run_once(db)
    assert [verified(h, sub["secret"])["data"]["decision"]["reference"] for h in receiver.received] == [
        "CA-FINE"
    ]


def test_an_overturning_decision_changes_the_standing_of_the_one_followed(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    sub = webhook(
        api, {"type": "decision", "id": r["decision"]["id"]}, receiver.url, ["decision.standing_changed"]
    )
    api.decision(
        r["reg"]["id"],
        reference="APPEAL-1",
        issued_on="2023-01-01",
        related=[{"decision_id": r["decision"]["id"], "relation": "overturns"}],
    )
    worker.run_once(db)
    [hit] = receiver.received
    data = verified(hit, sub["secret"])["data"]
    assert (data["decision"]["id"], data["before"], data["after"]) == (
        r["decision"]["id"],
        "in_force",
        "overturned",
    )


def test_a_new_decision_concerning_a_followed_party_is_delivered(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    sub = webhook(
        api, {"type": "organisation", "id": r["clearview"]["id"]}, receiver.url, ["decision.created"]
    )
    api.decision(
        r["reg"]["id"],
        reference="NEW-1",
        organisations=[{"organisation_id": r["clearview"]["id"], "role": "respondent"}],
    )
    api.decision(
        r["reg"]["id"],
        reference="NEW-2",
        organisations=[{"organisation_id": r["other"]["id"], "role": "respondent"}],
    )
    worker.run_once(db)
    assert [verified(h, sub["secret"])["data"]["decision"]["reference"] for h in receiver.received] == [
        "NEW-1"
    ]


def test_no_event_is_written_while_nobody_follows_anything(api: Api, db: Database) -> None:
    r = record(api)
    api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
    assert outbox_count(db) == 0


def test_the_deliveries_are_listed_to_their_owner(
    api: Api, db: Database, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    sub = webhook(api, {"type": "decision", "id": r["decision"]["id"]}, receiver.url, ["assessment.created"])
    api.assess(r["recs"][0]["id"], "complied", "2024-01-15")
    worker.run_once(db)
    items = api.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=api.auth(Role.reader)).json()[
        "items"
    ]
    assert [(d["event_type"], d["status"], d["attempts"], d["response_code"]) for d in items] == [
        ("assessment.created", "delivered", 1, 204)
    ]


def test_the_worker_command_delivers_what_is_due_and_stops_when_told(
    tmp_path: Any, settings_env: Any
) -> None:
    """`findings worker --once` sends what is due (here, without SMTP_URL, into the mail
    folder); `findings worker` runs until SIGTERM, as `make run` starts it beside the server."""
    import os
    import signal
    import subprocess
    import sys

    from typer.testing import CliRunner

    from app import migrate
    from app.cli import cli
    from app.services.alerts import notices

    url = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    migrate.upgrade(url)
    mail_dir = tmp_path / "mail"
    settings_env(database_url=url, mail_dir=str(mail_dir))
    os.environ.pop("SMTP_URL", None)
    db = Database(url)
    with db.transaction(actor="test") as session:
        notices.send(session, to="ann@example.org", subject="A message through the outbox", body="Hello.")
    db.dispose()
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 delivered" in result.output
    [eml] = list(mail_dir.glob("*.eml"))
    assert "Subject: A message through the outbox" in eml.read_text()

    env = os.environ | {"DATABASE_URL": url, "MAIL_DIR": str(mail_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        assert b"Worker delivering alerts" in proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def test_following_the_same_thing_twice_on_one_channel_is_refused(
    api: Api, receiver: Receiver, smtp: Mailbox
) -> None:
    r = record(api)
    target = {"type": "organisation", "id": r["clearview"]["id"]}
    first = webhook(api, target, receiver.url)
    again = api.post(
        "/api/v1/subscriptions",
        {"target": target, "channel": "webhook", "url": receiver.url},
        role=Role.reader,
    )
    assert again.status_code == 409 and str(first["id"]) in again.json()["detail"]
    assert follow_by_email(api, "organisation", r["clearview"]["id"]).status_code == 303
    twice = follow_by_email(api, "organisation", r["clearview"]["id"])
    assert twice.status_code == 409 and "You already follow this by e-mail" in twice.text

"""Readers' error reports: filed by anyone (limited per address, at most 5,000 characters),
landing in the review queue, accepted (with what they led to) or declined by an editor, and a
signed-in reporter told by e-mail; never an e-mail to an address a visitor typed."""

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db import Database
from app.models import AuditEntry, Delivery, ErrorReport
from app.vocab import Role
from tests.conftest import Api
from tests.review.test_review_api import load
from tests.web_helpers import csrf_of


def report(api: Api, body: Any, role: Role | None = Role.reader) -> Any:
    return api.client.post("/api/v1/reports", json=body, headers=api.auth(role))


def first_decision(api: Api) -> dict[str, Any]:
    return api.ok(api.get("/api/v1/decisions"))["items"][0]


def test_a_report_reaches_the_queue_and_is_accepted_or_declined(
    db: Database, api: Api, tmp_path: Path
) -> None:
    load(db, tmp_path)
    decision = first_decision(api)
    target = {"type": "decision", "id": decision["id"]}
    assert report(api, {"target": target, "text": "x" * 5001}).status_code == 413
    assert report(api, {"target": {"type": "decision", "id": 999}, "text": "Wrong"}).status_code == 404
    assert report(api, {"target": {"type": "case", "id": 1}, "text": "Wrong"}).status_code == 422
    assert report(api, {"target": target, "text": "   "}).status_code == 422
    assert (
        report(api, {"target": target, "text": "Wrong"}, role=None).status_code == 401
    )  # the pages take those
    made = report(
        api, {"target": target, "text": "The date is wrong.", "source_url": "https://example.org/a"}
    )
    assert made.status_code == 201, made.text
    filed = made.json()
    assert (filed["status"], filed["reporter_name"]) == ("open", "reader")  # a token: its role
    # In the queue (editors), beside the readings.
    listed = api.ok(
        api.client.get("/api/v1/review", params={"kind": "report"}, headers=api.auth(Role.editor))
    )
    assert [i["report"]["id"] for i in listed["items"]] == [filed["id"]] and listed["total"] == 1
    assert api.client.get(f"/api/v1/reports/{filed['id']}").status_code == 401
    etag = api.client.get(f"/api/v1/reports/{filed['id']}", headers=api.auth(Role.editor)).headers["etag"]
    url = f"/api/v1/reports/{filed['id']}/review"
    editor = api.auth(Role.editor)
    assert (
        api.client.post(url, json={"action": "decline"}, headers=editor | {"If-Match": etag}).status_code
        == 422
    )
    assert api.client.post(url, json={"action": "accept"}, headers=editor).status_code == 428
    led = {
        "action": "accept",
        "note": "Date corrected.",
        "led_to": {"type": "decision", "id": decision["id"]},
    }
    accepted = api.client.post(url, json=led, headers=editor | {"If-Match": etag})
    assert accepted.status_code == 200, accepted.text
    assert {k: accepted.json()[k] for k in ("status", "led_to_kind", "led_to_id", "resolved_by_name")} == {
        "status": "accepted",
        "led_to_kind": "decision",
        "led_to_id": decision["id"],
        "resolved_by_name": "editor",
    }
    again = api.client.post(url, json=led, headers=editor | {"If-Match": accepted.headers["etag"]})
    assert again.status_code == 409 and "already accepted by editor" in again.json()["detail"]
    second = report(api, {"target": target, "text": "Another thing."}).json()
    etag = api.client.get(f"/api/v1/reports/{second['id']}", headers=editor).headers["etag"]
    declined = api.client.post(
        f"/api/v1/reports/{second['id']}/review",
        json={"action": "decline", "reason": "The record says so already."},
        headers=editor | {"If-Match": etag},
    )
    assert declined.status_code == 200 and declined.json()["resolution"] == "The record says so already."
    progress = api.ok(api.client.get("/api/v1/review", params={"kind": "report"}, headers=editor))
    assert (progress["reviewed"], progress["total"], progress["items"]) == (2, 2, [])
    with db.transaction(write=False) as s:
        entries = select(AuditEntry).where(AuditEntry.entity == "error_report").order_by(AuditEntry.id)
        actions = [e.action for e in s.scalars(entries)]
        mails = list(s.scalars(select(Delivery)))
    assert actions == ["create", "accept", "create", "decline"]
    assert mails == []  # a token has no address: nobody is told


def test_anonymous_reports_are_limited_per_address(db: Database, api: Api, tmp_path: Path) -> None:
    load(db, tmp_path)
    decision_id = first_decision(api)["id"]
    body = {"target": "decision", "id": decision_id, "text": "Wrong"}
    for _ in range(5):
        sent = api.client.post("/report", data=body, follow_redirects=False)
        assert sent.status_code == 303, sent.text
    limited = api.client.post("/report", data=body, follow_redirects=False)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Too many reports from here: 5 an hour" in limited.text
    # A form sent from another site is refused.
    assert (
        api.client.post("/report", data=body, headers={"Origin": "https://evil.example"}).status_code == 403
    )
    # A token is limited on its own.
    assert (
        report(api, {"target": {"type": "decision", "id": decision_id}, "text": "Wrong"}).status_code == 201
    )
    with db.transaction(write=False) as s:
        assert list(s.scalars(select(Delivery))) == []


def test_a_signed_in_readers_report_goes_round_the_queue_and_back(
    db: Database, api: Api, tmp_path: Path
) -> None:
    load(db, tmp_path)
    decision = first_decision(api)
    client = api.client
    # Anyone may open the form; it has no e-mail field.
    form = client.get("/report", params={"target": "decision", "id": decision["id"]})
    assert form.status_code == 200 and 'name="email"' not in form.text and "anonymous" in form.text
    page = client.get(f"/decisions/{decision['id']}").text
    assert f"/report?target=decision&amp;id={decision['id']}" in page
    api.sign_in(Role.reader)
    form = client.get("/report", params={"target": "decision", "id": decision["id"]})
    assert "by e-mail, at your account" in form.text
    too_long = client.post(
        "/report",
        data={
            "csrf_token": csrf_of(form.text),
            "target": "decision",
            "id": decision["id"],
            "text": "y" * 5001,
        },
        follow_redirects=False,
    )
    assert too_long.status_code == 413 and "at most 5,000 characters" in too_long.text
    sent = client.post(
        "/report",
        data={
            "csrf_token": csrf_of(form.text),
            "target": "decision",
            "id": decision["id"],
            "text": "Recommendation 002/20 was complied with in 2021.",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/decisions/{decision['id']}"
    assert "your report is in the editors" in client.get(sent.headers["location"]).text
    # The editor finds it in the queue and accepts it, naming the assessment it led to.
    api.sign_in(Role.editor)
    queue = client.get("/review", params={"kind": "report"})
    assert "(1 open)" in queue.text and "Recommendation 002/20 was complied" in queue.text
    taken = client.post(
        "/review/reports/next", data={"csrf_token": csrf_of(queue.text)}, follow_redirects=False
    )
    assert taken.status_code == 303
    item = client.get(taken.headers["location"])
    assert 'id="report-text"' in item.text and "reader" in item.text.lower()
    report_id = int(re.search(r"/review/reports/(\d+)", taken.headers["location"])[1])  # type: ignore[index]
    rec = api.ok(api.get("/api/v1/recommendations", params={"reference": "002/20"}))["items"][0]
    reading = api.ok(api.get(f"/api/v1/recommendations/{rec['id']}/assessments"))[0]
    saved = client.post(
        f"/review/reports/{report_id}",
        data={
            "csrf_token": csrf_of(item.text),
            "action": "accept",
            "version": re.search(r'name="version" value="(\d+)"', item.text)[1],  # type: ignore[index]
            "led_to_kind": "assessment",
            "led_to_id": str(reading["id"]),
            "note": "Logged the 2021 reply.",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    with db.transaction(write=False) as s:
        [mail] = list(s.scalars(select(Delivery)))
    assert mail.recipient == "reader@example.org" and "accepted it: Logged the 2021 reply." in mail.body
    assert f"It led to assessment {reading['id']}." in mail.body
    # The report's page links what it led to: the assessment in its recommendation's history.
    resolved = client.get(f"/review/reports/{report_id}")
    assert f'href="/recommendations/{rec["id"]}#assessment-{reading["id"]}"' in resolved.text


def test_a_report_form_naming_no_record_is_refused_in_words(db: Database, api: Api, tmp_path: Path) -> None:
    load(db, tmp_path)
    decision_id = first_decision(api)["id"]
    for target, id_ in (
        ("decision", "99999999999999999999"),
        ("decision", "-1"),
        ("decision", "0"),
        ("decision", "x"),
        ("case", str(decision_id)),
        ("", ""),
    ):
        sent = api.client.post("/report", data={"target": target, "id": id_, "text": "Wrong"})
        assert sent.status_code == 422, (target, id_, sent.text[:300])
        assert "The form names no record to report on." in sent.text
    gone = api.client.post("/report", data={"target": "decision", "id": "999999", "text": "Wrong"})
    assert gone.status_code == 404 and "There is no decision 999999 to report on." in gone.text
    huge = {"target": "decision", "id": "99999999999999999999"}
    assert api.client.get("/report", params=huge).status_code == 422
    with db.transaction(write=False) as s:
        assert list(s.scalars(select(ErrorReport))) == []


def test_a_token_over_its_hourly_limit_is_told_when_to_come_back(
    db: Database, api: Api, tmp_path: Path
) -> None:
    load(db, tmp_path)
    target = {"type": "decision", "id": first_decision(api)["id"]}
    for i in range(30):
        assert report(api, {"target": target, "text": f"Wrong {i}"}).status_code == 201
    limited = report(api, {"target": target, "text": "Wrong again"})
    assert limited.status_code == 429, limited.text
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert 0 < int(limited.headers["retry-after"]) <= 3601 and "30 an hour" in limited.json()["detail"]
    # Another token is not held back by it.
    assert report(api, {"target": target, "text": "Wrong"}, role=Role.editor).status_code == 201
    with db.transaction(write=False) as s:
        assert len(list(s.scalars(select(ErrorReport)))) == 31

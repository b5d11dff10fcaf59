"""The review queue as pages (no JavaScript: every step a form post): the queue with its
progress and filters, one reading at a time beside its recommendation with the evidence marked,
saving opens the next, and another editor's item refused in words."""

import re
from pathlib import Path

from app.db import Database
from app.vocab import Role
from tests.conftest import Api
from tests.review.test_review_api import load
from tests.web_helpers import csrf_of

ITEM = re.compile(r"/review/assessments/(\d+)")


def test_an_editor_reviews_every_reading_with_forms_alone(db: Database, api: Api, tmp_path: Path) -> None:
    load(db, tmp_path)
    client = api.client
    assert client.get("/review", follow_redirects=False).status_code == 303  # sign in first
    api.sign_in(Role.editor)
    queue = client.get("/review")
    assert queue.status_code == 200, queue.text
    assert "no-store" in queue.headers["cache-control"]
    assert re.search(r'id="review-progress"><strong>0</strong> of 5 reviewed', queue.text)
    filtered = client.get("/review", params={"suggested_status": "complied", "confidence": "below80"})
    assert re.search(r"<strong>0</strong> of 2 reviewed", filtered.text)
    assert client.get("/review", params={"confidence": "sure"}).status_code == 422
    token = csrf_of(queue.text)
    started = client.post("/review/next", data={"csrf_token": token}, follow_redirects=False)
    assert started.status_code == 303
    seen = []
    location = started.headers["location"]
    for step in range(5):
        match = ITEM.search(location)
        assert match, location
        page = client.get(location)
        assert page.status_code == 200, page.text
        seen.append(int(match[1]))
        # The reply, its matched sentence marked, the machine's status preselected.
        assert 'id="review-recommendation"' in page.text and 'id="review-reply"' in page.text
        checked = re.search(r'value="(\w+)" data-key="\d"(?: checked)', page.text)
        assert checked, page.text
        version = re.search(r'name="version" value="(\d+)"', page.text)
        assert version
        # The first is corrected (with a note), the others confirmed as read.
        status, note = ("disputed", "They contest it.") if step == 0 else (checked[1], "")
        saved = client.post(
            location.split("?")[0],
            data={"csrf_token": token, "status": status, "note": note, "version": version[1]},
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        location = saved.headers["location"]
    assert sorted(seen) == seen and len(set(seen)) == 5
    assert location.startswith("/review") and not ITEM.search(location)  # none left: the queue
    done = client.get(location)
    assert "Nothing is left to review" in done.text and "<strong>5</strong> of 5 reviewed" in done.text
    first = api.ok(api.get(f"/api/v1/assessments/{seen[0]}"))
    assert (first["review"], first["counted"], first["reviewed_by_name"]) == (
        "rejected",
        False,
        "Editor",
    )  # the account's display name


def test_the_evidence_is_marked_and_another_editors_item_refused(
    db: Database, api: Api, tmp_path: Path
) -> None:
    load(db, tmp_path)
    held = api.ok(api.client.post("/api/v1/review/claim", headers=api.auth(Role.admin)))
    api.sign_in(Role.editor)
    item = held["assessment"]
    page = api.client.get(f"/review/assessments/{item['id']}")
    assert '<mark id="review-evidence">Accepted and implemented.</mark>' in page.text
    assert "Another editor is reviewing this reading: admin" in page.text
    refused = api.client.post(
        f"/review/assessments/{item['id']}",
        data={"csrf_token": csrf_of(page.text), "status": "complied", "version": "1"},
        follow_redirects=False,
    )
    assert refused.status_code == 409
    assert "being reviewed by admin until" in refused.text and 'id="review-message"' in refused.text
    # The editor moves on: "Next" skips what the admin holds.
    moved = api.client.post(
        "/review/next",
        data={"csrf_token": csrf_of(page.text), "after": str(item["id"])},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and f"/review/assessments/{item['id']}" not in moved.headers["location"]


def test_pages_say_in_words_how_each_status_was_known(db: Database, api: Api, tmp_path: Path) -> None:
    load(db, tmp_path)
    rec = api.ok(api.get("/api/v1/recommendations", params={"reference": "001/20"}))["items"][0]
    refused = api.ok(api.get("/api/v1/recommendations", params={"reference": "002/20"}))["items"][0]
    page = api.get(f"/decisions/{rec['decision_id']}").text
    # The badges: a machine reading that counts, a suggestion awaiting review.
    assert 'class="badge b-machine"' in page and ">read by machine</span>" in page
    assert ">awaiting review: Complied</span>" in page
    # The counts: how many statuses a person stands behind.
    assert re.search(
        r'id="review-counts">0 of 1 statuses entered, imported or reviewed by a person; '
        r"1 read by machine, not yet reviewed; 2 machine suggestions awaiting review, not counted\.",
        page,
    )
    # Each assessment: read by machine, by which rule, how often right, the words it read.
    one = api.get(f"/recommendations/{rec['id']}").text
    assert "suggestion, awaiting review" in one and "It counts nowhere until an editor confirms it." in one
    assert "<code>c:done</code>, right 75% of the time on replies read by hand" in one
    assert "The words it read: <mark>Accepted and implemented.</mark>" in one
    # Reviewed, it says who.
    [reading] = api.ok(api.get(f"/api/v1/recommendations/{refused['id']}/assessments"))
    etag = api.get(f"/api/v1/assessments/{reading['id']}").headers["etag"]
    confirmed = api.client.post(
        f"/api/v1/assessments/{reading['id']}/review",
        json={"action": "confirm"},
        headers=api.auth(Role.editor) | {"If-Match": etag},
    )
    assert confirmed.status_code == 200, confirmed.text
    after = api.get(f"/recommendations/{refused['id']}").text
    assert "Confirmed by an editor" in after and "b-machine" not in after.split('id="history-title"')[0]
    organisation = api.get(f"/organisations/{rec['organisation_id']}").text
    assert re.search(
        r'id="review-counts">1 of 2 statuses entered, imported or reviewed by a person; '
        r"1 read by machine, not yet reviewed; 2 machine suggestions awaiting review, not counted\.",
        organisation,
    )

"""Retracting a mistaken assessment (admin): it stays in the history, marked with who, when
and why, and counts in no derived status (now and as of a day, in Python and in SQL, in lists,
stats, CSV and feeds)."""

import csv
import datetime as dt
import io
import itertools
import random

from sqlalchemy import select

from app.models import Assessment, Recommendation
from app.services import compliance
from app.vocab import Role, Status
from tests.conftest import Api
from tests.web_helpers import csrf_of, fast_passwords  # noqa: F401 (fast_passwords: a fixture)


def _setup(api: Api) -> tuple[int, int]:
    reg = api.regulator()
    org = api.organisation()
    decision = api.decision(reg["id"], issued_on="2021-02-03")
    rec = api.recommendation(decision["id"], org["id"], due_on="2022-01-01")
    return decision["id"], rec["id"]


def _retract(api: Api, rec_id: int, assessment_id: int, role: Role = Role.admin, **body: str) -> object:
    return api.post(
        f"/api/v1/recommendations/{rec_id}/assessments/{assessment_id}/retract",
        body or {"reason": "Logged against the wrong recommendation"},
        role=role,
    )


def test_retracted_assessment_counts_nowhere(api: Api) -> None:
    decision_id, rec_id = _setup(api)
    api.assess(rec_id, "not_complied", "2021-03-01")
    mistaken = api.assess(rec_id, "complied", "2021-06-01")
    rec_url = f"/api/v1/recommendations/{rec_id}"
    assert api.ok(api.get(rec_url))["status"] == "complied"
    assert api.ok(api.get(f"/api/v1/decisions/{decision_id}"))["compliance"] == "complied"

    assert _retract(api, rec_id, mistaken["id"], role=Role.editor).status_code == 403
    assert _retract(api, rec_id, mistaken["id"], role=None).status_code == 401
    empty = _retract(api, rec_id, mistaken["id"], reason="  ")
    assert empty.status_code == 422
    assert _retract(api, rec_id + 1, mistaken["id"]).status_code == 404
    done = _retract(api, rec_id, mistaken["id"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["retracted_by"] == "admin"
    assert body["retraction_reason"] == "Logged against the wrong recommendation"
    assert body["retracted_at"][:10] == dt.datetime.now(dt.UTC).date().isoformat()
    again = _retract(api, rec_id, mistaken["id"])
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"

    # The history keeps it, marked.
    history = api.ok(api.get(f"{rec_url}/assessments"))
    assert [(a["status"], a["retracted_by"]) for a in history] == [
        ("not_complied", None),
        ("complied", "admin"),
    ]
    # Now: the kept status, the decision's compliance, list filters (SQL), stats.
    rec = api.ok(api.get(rec_url))
    assert (rec["status"], rec["last_assessed_on"], rec["overdue"]) == ("not_complied", "2021-03-01", True)
    assert api.ok(api.get(f"/api/v1/decisions/{decision_id}"))["compliance"] == "not_complied"
    for params in ({}, {"as_of": "2021-12-31"}):
        found = api.ok(api.get("/api/v1/recommendations", params={"status": "complied", **params}))
        assert found["items"] == []
        found = api.ok(api.get("/api/v1/recommendations", params={"status": "not_complied", **params}))
        assert [r["id"] for r in found["items"]] == [rec_id]
        found = api.ok(api.get("/api/v1/decisions", params={"compliance": "not_complied", **params}))
        assert [d["id"] for d in found["items"]] == [decision_id]
        stats = api.ok(api.get("/api/v1/stats", params=params))
        assert stats["recommendations_by_status"]["complied"] == 0
        assert stats["recommendations_by_status"]["not_complied"] == 1
    # As of a day after the mistaken one took effect, it still does not count.
    as_of = api.ok(api.get(rec_url, params={"as_of": "2021-07-01"}))
    assert (as_of["status"], as_of["last_assessed_on"]) == ("not_complied", "2021-03-01")
    # CSV and the feed of compliance changes.
    rows = list(csv.DictReader(io.StringIO(api.get("/api/v1/export/recommendations.csv").text)))
    assert [r["status"] for r in rows] == ["not_complied"]
    feed = api.get("/feeds/assessments.atom").text
    assert feed.count("<entry>") == 1 and "not_complied" in feed
    # The audit log has the retraction, with the full actor.
    audit = api.ok(
        api.get(
            "/api/v1/audit",
            params={"entity": "assessment", "entity_id": mistaken["id"]},
            headers=api.auth(Role.admin),
        )
    )
    assert sorted((e["action"], e["actor"]) for e in audit["items"]) == [
        ("create", "token:test-editor"),
        ("retract", "token:test-admin"),
    ]


def test_retraction_round_trips_through_the_export(api: Api, other_api: Api) -> None:
    _, rec_id = _setup(api)
    first = api.assess(rec_id, "not_complied", "2021-03-01")
    api.assess(rec_id, "complied", "2021-06-01")
    assert _retract(api, rec_id, first["id"]).status_code == 200
    exported = api.get("/api/v1/export").content
    assert b'"retraction_reason":"Logged against the wrong recommendation"' in exported
    imported = other_api.client.post(
        "/api/v1/import",
        content=exported,
        headers=other_api.auth(Role.admin) | {"Content-Type": "application/json"},
    )
    assert imported.status_code == 200, imported.text
    assert other_api.get("/api/v1/export").content == exported
    history = other_api.ok(other_api.get(f"/api/v1/recommendations/{rec_id}/assessments"))
    assert history[0]["retracted_by"] == "admin"


def test_python_and_sql_latest_assessment_agree_with_retractions(api: Api) -> None:
    """`compliance.latest` (Python) and `latest_assessment_status` (SQL) pick the same
    assessment for random histories with retractions, now and as of each day."""
    decision_id, _ = _setup(api)
    org = api.ok(api.get("/api/v1/organisations"))["items"][0]["id"]
    rng = random.Random(14)
    days = [dt.date(2021, 3, 1) + dt.timedelta(days=d) for d in (0, 0, 10, 20, 40)]
    rec_ids = []
    for i in range(25):
        rec = api.recommendation(decision_id, org, text=f"R{i}")
        rec_ids.append(rec["id"])
        for _ in range(rng.randrange(0, 5)):
            a = api.assess(rec["id"], rng.choice([s.value for s in Status]), rng.choice(days).isoformat())
            if rng.random() < 0.4:
                assert _retract(api, rec["id"], a["id"]).status_code == 200
    with api.db.transaction(write=False) as session:
        histories = {i: [] for i in rec_ids}
        for a in session.scalars(select(Assessment).where(Assessment.recommendation_id.in_(rec_ids))):
            histories[a.recommendation_id].append(a)
        assert sum(1 for h in histories.values() for a in h if a.retracted_at) > 5
        for as_of in itertools.chain([None], days, [dt.date(2021, 2, 28)]):
            sql = dict(
                session.execute(
                    select(Recommendation.id, compliance.status_expr(as_of or dt.date(2100, 1, 1))).where(
                        Recommendation.id.in_(rec_ids)
                    )
                ).all()
            )
            kept = {
                id: status
                for id, status in session.execute(
                    select(Recommendation.id, Recommendation.status).where(Recommendation.id.in_(rec_ids))
                )
            }
            for rec_id, history in histories.items():
                found = compliance.latest_of(history, as_of)
                python = found.status.value if found else "pending"
                assert Status(sql[rec_id]).value == python, (rec_id, as_of)
                if as_of is None:
                    assert Status(kept[rec_id]).value == python, rec_id


def test_retract_from_the_page(api: Api) -> None:
    _, rec_id = _setup(api)
    mistaken = api.assess(rec_id, "complied", "2021-06-01")
    page_url = f"/recommendations/{rec_id}"
    form_url = f"/recommendations/{rec_id}/assessments/{mistaken['id']}/retract"
    api.sign_in(Role.editor)
    assert "Retract this assessment" not in api.get(page_url).text
    assert api.get(form_url).status_code == 403
    api.client.cookies.clear()
    api.sign_in(Role.admin)
    assert f'href="{form_url}"' in api.get(page_url).text
    form = api.get(form_url)
    assert form.status_code == 200 and "Why it is retracted" in form.text
    token = csrf_of(form.text)
    missing = api.client.post(form_url, data={"csrf_token": token, "reason": ""}, follow_redirects=False)
    assert missing.status_code == 422 and "Say why the assessment is retracted" in missing.text
    no_token = api.client.post(form_url, data={"reason": "Wrong"}, follow_redirects=False)
    assert no_token.status_code == 403
    assert api.ok(api.get(f"/api/v1/recommendations/{rec_id}"))["status"] == "complied"
    done = api.client.post(
        form_url, data={"csrf_token": token, "reason": "Wrong recommendation"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{page_url}#assessment-{mistaken['id']}"
    twice = api.client.post(form_url, data={"csrf_token": token, "reason": "Again"}, follow_redirects=False)
    assert twice.status_code == 409 and "Already retracted" in twice.text
    api.client.cookies.clear()
    public = api.get(page_url).text
    assert 'class="retracted"' in public
    assert "by Admin: Wrong recommendation. It no longer counts in the status." in public
    assert api.ok(api.get(f"/api/v1/recommendations/{rec_id}"))["status"] == "pending"

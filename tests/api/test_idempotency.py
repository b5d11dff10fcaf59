"""`Idempotency-Key` on POST: the first answer replayed, one record, a changed body refused."""

import datetime as dt

from sqlalchemy import text, update

from app.models import IdempotencyKey
from app.vocab import Role
from tests.conftest import Api, table_counts

BODY = {"name": "Garante per la protezione dei dati personali", "jurisdiction": "IT"}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def test_a_retried_create_gets_the_first_answer_and_creates_one_record(api: Api) -> None:
    first = api.post("/api/v1/regulators", BODY, headers=key("a1b2"))
    assert first.status_code == 201
    counts = table_counts(api.db)
    again = api.post("/api/v1/regulators", BODY, headers=key("a1b2"))
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert table_counts(api.db) == counts
    assert len(api.ok(api.get("/api/v1/regulators"))["items"]) == 1


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    assert api.post("/api/v1/regulators", BODY, headers=key("k-1")).status_code == 201
    other = api.post("/api/v1/regulators", BODY | {"name": "CNIL"}, headers=key("k-1"))
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["errors"][0]["field"] == "header.idempotency-key"
    assert "different request" in other.json()["detail"]
    # ... and so is the same key on another route.
    assert api.post("/api/v1/organisations", {"name": "X"}, headers=key("k-1")).status_code == 422
    assert len(api.ok(api.get("/api/v1/regulators"))["items"]) == 1


def test_keys_belong_to_their_caller(api: Api) -> None:
    assert api.post("/api/v1/organisations", {"name": "A"}, headers=key("shared")).status_code == 201
    second = api.post("/api/v1/organisations", {"name": "A"}, headers=key("shared"), role=Role.admin)
    # Another caller's key is not a retry: its create runs, and meets the duplicate name.
    assert "idempotent-replayed" not in second.headers


def test_a_failed_request_stores_nothing_and_can_be_retried(api: Api) -> None:
    bad = api.post("/api/v1/regulators", {"name": "X", "jurisdiction": "??"}, headers=key("retry-me"))
    assert bad.status_code == 422
    with api.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one() == 0
    good = api.post("/api/v1/regulators", {"name": "X", "jurisdiction": "FR"}, headers=key("retry-me"))
    assert good.status_code == 201


def test_a_child_create_replays_too(api: Api) -> None:
    reg = api.regulator()
    org = api.organisation()
    rec = api.recommendation(api.decision(reg["id"])["id"], org["id"])
    url = f"/api/v1/recommendations/{rec['id']}/assessments"
    body = {"status": "complied", "assessed_on": "2021-01-01", "asserted_by": "press"}
    first = api.post(url, body, headers=key("assess-1"))
    again = api.post(url, body, headers=key("assess-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert len(api.ok(api.get(url))) == 1


def test_expired_keys_are_forgotten(api: Api) -> None:
    assert api.post("/api/v1/regulators", BODY, headers=key("old")).status_code == 201
    with api.db.transaction() as session:
        session.execute(
            update(IdempotencyKey).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    # After expiry the key is new again: the create runs (and meets the existing name).
    late = api.post("/api/v1/regulators", BODY, headers=key("old"))
    assert late.status_code == 409
    assert "idempotent-replayed" not in late.headers


def test_a_malformed_key_is_refused(api: Api) -> None:
    for bad in ("", "x" * 201, "with space"):
        response = api.post("/api/v1/regulators", BODY, headers=key(bad))
        assert response.status_code == 422, bad
    assert api.ok(api.get("/api/v1/regulators"))["items"] == []


# Creations whose answer holds a secret shown once and kept only as a hash (an API token):
# never stored as a replayable answer. A webhook subscription's signing secret is kept as it
# is (it signs every delivery), so its create honours the key and a retry gets the secret back,
# to the same caller only, for the key's 24 hours.
WITH_SECRET = {"/api/v1/tokens"}


def test_the_header_is_documented_on_every_create_but_those_answering_a_secret(api: Api) -> None:
    spec = api.ok(api.get("/openapi.json"))
    for path, operations in spec["paths"].items():
        if "201" in operations.get("post", {}).get("responses", {}):
            names = [p["name"] for p in operations["post"].get("parameters", [])]
            assert ("Idempotency-Key" in names) == (path not in WITH_SECRET), path


def test_a_token_secret_is_never_stored_as_an_idempotent_answer(api: Api) -> None:
    made = api.post("/api/v1/tokens", {"name": "robot"}, role=Role.admin, headers=key("token-1"))
    assert made.status_code == 201
    with api.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one() == 0
    # A retry is not replayed (it would need the secret): it meets the name already taken.
    again = api.post("/api/v1/tokens", {"name": "robot"}, role=Role.admin, headers=key("token-1"))
    assert again.status_code == 409

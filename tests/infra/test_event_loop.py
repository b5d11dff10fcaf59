"""No wait for a database connection on the event loop, and a fast 503 when the server is full.

Against the real server (uvicorn on a free loopback port), on SQLite and PostgreSQL: every
pooled connection is held by other threads (as page requests hold them under a crowd of
readers), and the answers that need no pooled connection still come: `/robots.txt` and an
anonymous API read (served on the event loop). The loop used to wait for a pooled connection
itself, freezing the whole server until the pool's timeout.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest

from app.config import get_settings
from app.db import Database
from app.main import create_app
from tests.conftest import Api
from tests.server_helpers import serving

# Far longer than any answer here takes: a client timing out means the server was frozen.
PATIENCE = 20.0


@pytest.fixture
def small_pool(db: Database) -> Iterator[Database]:
    """The test's database through a pool of two connections that waits 60 s for one."""
    url = db.engine.url.render_as_string(hide_password=False)
    small = Database(url, pool_size=2, max_overflow=0, pool_timeout=60)
    try:
        yield small
    finally:
        small.dispose()


def hold_the_pool(database: Database) -> tuple[list[object], threading.Event]:
    """Check out every pooled connection from threads of their own, until released."""
    held: list[object] = []
    release = threading.Event()
    ready = threading.Barrier(3)

    def hold() -> None:
        with database.engine.connect() as conn:
            held.append(conn)
            ready.wait()
            release.wait(120)

    for _ in range(2):
        threading.Thread(target=hold, daemon=True).start()
    ready.wait()
    return held, release


def test_the_loop_answers_while_the_pool_is_held(api: Api, small_pool: Database) -> None:
    regulator = api.regulator()
    decision = api.decision(regulator["id"])
    with serving(create_app(small_pool)) as url:
        _, release = hold_the_pool(small_pool)
        try:
            with httpx.Client(base_url=url, timeout=PATIENCE) as client, ThreadPoolExecutor(4) as pool:
                probes = [
                    pool.submit(client.get, path)
                    for path in ("/robots.txt", f"/api/v1/decisions/{decision['id']}", "/api/v1/decisions")
                ]
                answers = [probe.result() for probe in probes]
        finally:
            release.set()
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text[:200] for a in answers]
    assert answers[1].json()["reference"] == decision["reference"]
    assert [d["id"] for d in answers[2].json()["items"]] == [decision["id"]]


@pytest.fixture
def one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that takes one request at a time and keeps a second waiting 0.2 s at most."""
    settings = get_settings()
    monkeypatch.setattr(settings, "max_in_flight", 1)
    monkeypatch.setattr(settings, "queue_timeout", 0.2)


def test_a_full_server_answers_503_at_once(api: Api, small_pool: Database, one_at_a_time: None) -> None:
    regulator = api.regulator()
    with serving(create_app(small_pool)) as url:
        _, release = hold_the_pool(small_pool)
        with httpx.Client(base_url=url, timeout=PATIENCE) as client, ThreadPoolExecutor(1) as pool:
            try:
                # A page that waits for a pooled connection, in a thread: the one request in flight.
                stuck = pool.submit(client.get, f"/regulators/{regulator['id']}")
                _wait_until_in_flight(client)
                full_api = client.get(f"/api/v1/regulators/{regulator['id']}")
                full_page = client.get(f"/regulators/{regulator['id']}")
            finally:
                release.set()
            assert stuck.result().status_code == 200
            # Once the server has room again, requests are served.
            assert client.get(f"/api/v1/regulators/{regulator['id']}").status_code == 200
    assert full_api.status_code == 503, full_api.text
    assert full_api.headers["content-type"] == "application/problem+json"
    assert full_api.json()["type"] == "/problems/unavailable"
    assert int(full_api.headers["retry-after"]) >= 1
    assert full_page.status_code == 503
    assert full_page.headers["content-type"].startswith("text/html")
    assert "busy" in full_page.text
    assert int(full_page.headers["retry-after"]) >= 1


def _wait_until_in_flight(client: httpx.Client) -> None:
    """Until the server is full: the stuck page holds the only place."""
    for _ in range(200):
        if client.get("/api/v1/vocabulary").status_code == 503:
            return
        threading.Event().wait(0.05)
    raise AssertionError("the first request never got in")


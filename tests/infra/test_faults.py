"""Faults: concurrent writers on SQLite, and the server killed (SIGKILL) mid-stream.

Both run the real server (`findings serve`, uvicorn) in a subprocess on a free loopback port,
against a SQLite file, and talk to it over HTTP.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import httpx2 as httpx
import pytest

from app import migrate
from app.db import Database
from app.services.accounts import tokens
from app.vocab import Role


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`findings serve` in a subprocess."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = os.environ | {"DATABASE_URL": f"sqlite:///{self.db_path}"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from app.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited at start"
            try:
                if httpx.get(self.url + "/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Record:
    path: Path
    editor: str
    decision_id: int
    recommendation_ids: list[int] = field(default_factory=list)


@pytest.fixture
def record(tmp_path: Path) -> Record:
    """A migrated SQLite file with a decision, a few recommendations and an editor token."""
    path = tmp_path / "faults.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    from app.schemas.decision import DecisionCreate
    from app.schemas.organisation import OrganisationCreate
    from app.schemas.recommendation import RecommendationCreate
    from app.schemas.regulator import RegulatorCreate
    from app.services.record import decision_edits, organisations, recommendations, regulators

    db = Database(f"sqlite:///{path}")
    try:
        with db.transaction(actor="test") as session:
            _, editor = tokens.create(session, name="writer", role=Role.editor)
            reg = regulators.create(session, data=RegulatorCreate(name="OPC", jurisdiction="CA"))
            org = organisations.create(session, data=OrganisationCreate(name="Clearview AI"))
            decision = decision_edits.create(
                session,
                data=DecisionCreate.model_validate(
                    {
                        "reference": "F-1",
                        "title": "Findings",
                        "kind": "report_of_findings",
                        "issued_on": "2021-02-03",
                        "regulators": [{"regulator_id": reg.id, "role": "lead"}],
                    }
                ),
            )
            recs = [
                recommendations.create(
                    session,
                    data=RecommendationCreate(
                        decision_id=decision.id, organisation_id=org.id, text=f"Do {i}"
                    ),
                )
                for i in range(4)
            ]
            made = Record(path, editor, decision.id, [r.id for r in recs])
    finally:
        db.dispose()
    return made


@pytest.fixture
def server(record: Record) -> Iterator[Server]:
    running = Server(record.path)
    running.start()
    yield running
    running.stop()


WRITERS = 8
SECONDS = 6.0


@dataclass
class Tally:
    assessments: int = 0
    edits: list[tuple[int, int]] = field(default_factory=list)  # (If-Match version, new version)
    stale: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def writer(server: Server, record: Record, n: int, tally: Tally, stop: float) -> None:
    headers = {"Authorization": f"Bearer {record.editor}"}
    decision = f"/api/v1/decisions/{record.decision_id}"
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        i = 0
        while time.monotonic() < stop:
            i += 1
            rec = record.recommendation_ids[(n + i) % len(record.recommendation_ids)]
            body = {
                "status": "not_complied",
                "assessed_on": "2021-06-01",
                "asserted_by": "press",
                "note": f"{n}-{i}",
            }
            response = client.post(f"/api/v1/recommendations/{rec}/assessments", json=body)
            tally.statuses[response.status_code] += 1
            if response.status_code == 201:
                tally.assessments += 1
            else:
                tally.errors.append(response.text)

            read = client.get(decision)
            tally.statuses[read.status_code] += 1
            seen = int(read.headers["etag"].strip('"'))
            edit = client.patch(
                decision, json={"title": f"Edit {n}-{i}"}, headers={"If-Match": read.headers["etag"]}
            )
            tally.statuses[edit.status_code] += 1
            if edit.status_code == 200:
                tally.edits.append((seen, int(edit.headers["etag"].strip('"'))))
            elif edit.status_code == 412:
                tally.stale += 1
            else:
                tally.errors.append(edit.text)


def test_concurrent_writers_lose_nothing(server: Server, record: Record) -> None:
    with sqlite3.connect(record.path) as conn:
        first = conn.execute("SELECT version FROM decisions WHERE id = ?", (record.decision_id,)).fetchone()[
            0
        ]
    tallies = [Tally() for _ in range(WRITERS)]
    stop = time.monotonic() + SECONDS
    threads = [
        threading.Thread(target=writer, args=(server, record, n, tallies[n], stop)) for n in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sum((t.statuses for t in tallies), Counter())
    errors = [e for t in tallies for e in t.errors]
    assert not errors, errors[:3]
    assert not [s for s in statuses if s >= 500], statuses
    assert all("locked" not in e for e in errors)

    acknowledged = sum(t.assessments for t in tallies)
    edits = [e for t in tallies for e in t.edits]
    stale = sum(t.stale for t in tallies)
    with sqlite3.connect(record.path) as conn:
        rows = conn.execute("SELECT count(*) FROM assessments").fetchone()[0]
        version = conn.execute(
            "SELECT version FROM decisions WHERE id = ?", (record.decision_id,)
        ).fetchone()[0]
        audited = conn.execute(
            "SELECT count(*) FROM audit_log WHERE entity = 'decision' AND action = 'update'"
        ).fetchone()[0]
    print(
        f"\nconcurrency: {WRITERS} writers for {SECONDS:.0f} s: {acknowledged} assessments acknowledged, "
        f"{rows} in the database; {len(edits)} edits applied, {stale} stale If-Match refused (412); "
        f"statuses {dict(statuses)}"
    )
    assert acknowledged > 0 and rows == acknowledged
    # No lost update: ordered by the version each applied edit started from, every edit
    # started from (at least) the version the previous one left, so none overwrote a change
    # it had not seen. (Assessments move the decision's version too, hence "at least".)
    chain = sorted(edits)
    assert all(new > seen for seen, new in chain)
    assert all(nxt[0] >= prev[1] for prev, nxt in pairwise(chain))
    assert chain[0][0] >= first and chain[-1][1] <= version
    assert len(edits) == audited
    assert stale > 0, "the writers never raced; the test proved nothing about If-Match"


def test_sigkill_mid_stream_loses_no_acknowledged_write(server: Server, record: Record) -> None:
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def stream(n: int) -> None:
        headers = {"Authorization": f"Bearer {record.editor}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            i = 0
            while not stop.is_set():
                i += 1
                name = f"Organisation {n}-{i}"
                try:
                    response = client.post("/api/v1/organisations", json={"name": name})
                except httpx.TransportError:
                    return  # the server is gone: this write was never acknowledged
                if response.status_code == 201:
                    acknowledged.append(name)
                else:
                    failures.append(response.text)

    threads = [threading.Thread(target=stream, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    assert len(acknowledged) >= 150

    with sqlite3.connect(record.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restarted = Server(record.path)
    restarted.start()
    try:
        found: set[str] = set()
        cursor = None
        with httpx.Client(base_url=restarted.url, timeout=10) as client:
            while True:
                params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
                page = client.get("/api/v1/organisations", params=params).json()
                found |= {o["name"] for o in page["items"]}
                cursor = page["next_cursor"]
                if cursor is None:
                    break
    finally:
        restarted.stop()
    missing = [name for name in acknowledged if name not in found]
    print(
        f"\nsigkill: {len(acknowledged)} writes acknowledged before the kill, "
        f"{len(acknowledged) - len(missing)} found after the restart, "
        f"{len(found - set(acknowledged)) - 1} more committed but unacknowledged; integrity ok"
    )
    assert not missing
    with sqlite3.connect(record.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_concurrent_retries_with_one_idempotency_key_create_one_record(
    server: Server, record: Record
) -> None:
    """Retries racing each other (a client that timed out and retried, many times at once)."""
    headers = {"Authorization": f"Bearer {record.editor}", "Idempotency-Key": "race-1"}
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(WRITERS)

    def retry() -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            barrier.wait()
            answers.append(client.post("/api/v1/organisations", json={"name": "Raced Ltd"}))

    threads = [threading.Thread(target=retry) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * WRITERS
    assert len({a.content for a in answers}) == 1
    assert sum(1 for a in answers if "idempotent-replayed" in a.headers) == WRITERS - 1
    with sqlite3.connect(record.path) as conn:
        assert conn.execute("SELECT count(*) FROM organisations WHERE name = 'Raced Ltd'").fetchone() == (1,)


def test_backup_while_the_server_writes(server: Server, record: Record, tmp_path: Path) -> None:
    """`findings backup` copies a live database: consistent, and holding every write
    acknowledged before the backup began."""
    from app.services.exchange.backup import sqlite_backup

    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {record.editor}"}
        ) as client:
            i = 0
            while not stop.is_set():
                i += 1
                response = client.post("/api/v1/organisations", json={"name": f"Live {i}"})
                if response.status_code != 201:
                    failures.append(response.text)
                    return
                acknowledged.append(f"Live {i}")

    thread = threading.Thread(target=stream)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(acknowledged) < 30 and not failures and time.monotonic() < deadline:
            time.sleep(0.02)
        before = list(acknowledged)
        db = Database(f"sqlite:///{record.path}")
        try:
            sqlite_backup(db.engine, tmp_path / "live-backup.sqlite3")
        finally:
            db.dispose()
        while len(acknowledged) < len(before) + 10 and not failures and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join()
    with sqlite3.connect(tmp_path / "live-backup.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = {row[0] for row in conn.execute("SELECT name FROM organisations")}
    assert not failures, failures[:3]
    assert len(before) >= 30
    assert set(before) <= names

"""Serve the app on loopback as users do and measure its key requests beside the floor and a peer.

    python -m bench.run --db bench/out/bench-1.sqlite3 [--seconds 5] [--out bench/RESULTS.md]

For each key request, in one run on one database file:

- the app, served by `findings serve` (uvicorn, one process) on a free loopback port, loaded by
  `hey` (Debian's HTTP load generator) for a bounded time at 1 and at 16 concurrent clients:
  p50, p95, p99 latency and throughput;
- the floor: the same query in raw SQL with sqlite3 on the same file, timed in-process;
- a peer: the same table query served by Datasette (immutable mode), loaded the same way.

The endpoints the build has are found in its `/openapi.json` (and the HTML pages by asking
for them), so search, stats, pages and exports are measured once they are merged; what a
build lacks is reported as "n/a on this build". The results are printed and written as
Markdown with the machine's description.
"""

import argparse
import base64
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONCURRENCY = (1, 16)
PAGE = 50
EXPORT_ROWS = 100_000
SEARCH_WORD = "biometric"
DONE = ("complied", "withdrawn")


# -- Machine ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    os_name = platform.platform()
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "RAM": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "OS": os_name,
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "load tool": f"hey ({shutil.which('hey')})",
    }


# -- Processes ----------------------------------------------------------------------------


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8000:
            return port


def get(url: str, timeout: float = 30) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def probe(url: str) -> tuple[int, str]:
    """Status and content type of a GET, redirects not followed."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", "")


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def serve(
    name: str, argv: Sequence[str], ready_path: str, port: int, env: dict[str, str], log: Path
) -> Iterator[Server]:
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
                try:
                    if get(base + ready_path, timeout=5)[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer on {base} within 120 s; see {log}")
                time.sleep(0.2)
            yield Server(name, base, process)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- Measuring ----------------------------------------------------------------------------


@dataclass
class Load:
    """What `hey` measured: latencies in ms, throughput in requests per second."""

    p50: float
    p95: float
    p99: float
    rps: float
    requests: int
    errors: int
    cpu: float = 0.0  # the server's CPU time per request, ms (all its threads)


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of sorted values."""
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def hey(url: str, *, concurrency: int, seconds: float) -> Load:
    """Load `url` for `seconds` with `concurrency` clients; percentiles from every request's time."""
    started = time.perf_counter()
    out = subprocess.run(
        [
            "hey",
            "-z",
            f"{seconds}s",
            "-c",
            str(concurrency),
            "-t",
            "60",
            "-disable-compression",
            "-o",
            "csv",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    ).stdout
    elapsed = time.perf_counter() - started
    times, errors = [], 0
    for line in out.splitlines()[1:]:
        fields = line.split(",")
        if len(fields) < 8:
            continue
        times.append(float(fields[0]) * 1000)
        errors += fields[6] != "200"
    if not times:
        raise RuntimeError(f"hey got no answer from {url}:\n{out[:2000]}")
    times.sort()
    return Load(
        p50=percentile(times, 50),
        p95=percentile(times, 95),
        p99=percentile(times, 99),
        rps=len(times) / min(elapsed, seconds + max(times) / 1000),
        requests=len(times),
        errors=errors,
    )


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) a process has used, in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def load_both(url: str, seconds: float, pid: int) -> dict[int, Load]:
    """Load `url` at each concurrency, with the server's CPU time per request (which, unlike
    latency, does not depend on what else the shared cores are doing)."""
    hey(url, concurrency=2, seconds=1)  # warm up: caches, connections, code paths
    out = {}
    for c in CONCURRENCY:
        before = cpu_ms(pid)
        load = hey(url, concurrency=c, seconds=seconds)
        load.cpu = (cpu_ms(pid) - before) / load.requests
        out[c] = load
    return out


def time_sql(run: Callable[[], Any], seconds: float) -> tuple[float, float]:
    """p50 and p95 in ms of a raw-SQL function, run repeatedly for about `seconds`."""
    start = time.perf_counter()
    run()
    # A query slower than a tenth of the time given is sampled fewer times (at least 5).
    minimum = 20 if time.perf_counter() - start < seconds / 10 else 5
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < minimum:
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
        if len(samples) >= 5000:
            break
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


@dataclass
class Export:
    seconds: float
    rows: int
    rss_before: float
    rss_peak: float


def measure_export(url: str, pid: int, rows: int) -> Export:
    """Read `rows` lines of a streamed CSV export, sampling the server's RSS meanwhile."""
    before = rss_mib(pid)
    peak = before
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mib(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    lines = 0
    try:
        with urllib.request.urlopen(url, timeout=600) as response:
            pending = b""
            while lines <= rows:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                pending += chunk
                lines += pending.count(b"\n")
                pending = pending[pending.rfind(b"\n") + 1 :]
    finally:
        elapsed = time.perf_counter() - start
        time.sleep(0.05)
        stop.set()
        sampler.join()
    return Export(seconds=elapsed, rows=min(lines - 1, rows), rss_before=before, rss_peak=peak)


# -- The record's parameters and the raw SQL ----------------------------------------------


def cursor_for(sort: str, key: Sequence[Any]) -> str:
    """A list cursor as the app writes it (see app/services/pagination.py)."""
    payload = json.dumps([sort, list(key)], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


class Record:
    """Parameters picked from the generated record, and the raw SQL for each request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.execute("PRAGMA cache_size=-2000")  # SQLite's default, as the app has it
        q = self.conn.execute
        self.today = dt.date.today().isoformat()
        (n_decisions,) = q("SELECT count(*) FROM decisions").fetchone()
        self.n_decisions = n_decisions
        # A decision in the middle of the record with recommendations and two regulators, if any.
        self.decision_id = q(
            "SELECT d.id FROM decisions d WHERE d.id >= ? AND EXISTS (SELECT 1 FROM recommendations r "
            "WHERE r.decision_id = d.id) ORDER BY d.id LIMIT 1",
            (n_decisions // 2,),
        ).fetchone()[0]
        # The tenth busiest regulator (or the last), and decisions of it not complied with.
        busiest = q(
            "SELECT regulator_id, count(*) FROM decision_regulators GROUP BY regulator_id "
            "ORDER BY count(*) DESC, regulator_id LIMIT 10"
        ).fetchall()
        self.regulator_id, self.regulator_decisions = busiest[-1]
        # And a regulator of median size: most regulators have few decisions.
        counts = q(
            "SELECT regulator_id, count(*) FROM decision_regulators "
            "GROUP BY regulator_id ORDER BY count(*), regulator_id"
        ).fetchall()
        self.small_regulator_id, self.small_regulator_decisions = counts[len(counts) // 2]
        self.compliance = "not_complied"
        self.status = "not_complied"
        # The key of the row just before the last page of the newest-first decision list.
        row = q(
            "SELECT issued_on, id FROM decisions ORDER BY issued_on, id LIMIT 1 OFFSET ?",
            (min(PAGE, max(0, n_decisions - 1)),),
        ).fetchone()
        self.last_cursor = cursor_for("-issued_on", row)
        self.last_key = row
        fts = q("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'").fetchall()
        self.fts_tables = [r[0] for r in fts]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def decision_parts(self, ids: Sequence[int]) -> None:
        """Everything a decision's read shows, for many decisions: the queries the app must make."""
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        for sql in (
            "SELECT dr.*, r.name, r.jurisdiction FROM decision_regulators dr "
            f"JOIN regulators r ON r.id = dr.regulator_id WHERE dr.decision_id IN ({marks})",
            "SELECT o2.*, o.name FROM decision_organisations o2 "
            f"JOIN organisations o ON o.id = o2.organisation_id WHERE o2.decision_id IN ({marks})",
            f"SELECT * FROM findings WHERE decision_id IN ({marks})",
            f"SELECT * FROM decision_provisions WHERE decision_id IN ({marks})",
            f"SELECT * FROM decision_sources WHERE decision_id IN ({marks})",
            f"SELECT * FROM decision_tags WHERE decision_id IN ({marks})",
            "SELECT r.*, d.reference, d.title, d.issued_on FROM decision_relations r "
            f"JOIN decisions d ON d.id = r.related_decision_id WHERE r.decision_id IN ({marks})",
            "SELECT r.related_decision_id, r.relation, d.id, d.reference, d.title, d.issued_on "
            "FROM decision_relations r JOIN decisions d ON d.id = r.decision_id "
            f"WHERE r.related_decision_id IN ({marks}) ORDER BY d.issued_on, d.id",
            "SELECT decision_id, status, count(*) FROM recommendations "
            f"WHERE decision_id IN ({marks}) GROUP BY decision_id, status",
        ):
            self.rows(sql, ids)

    def decision_page(self, where: str = "", params: Sequence[Any] = ()) -> None:
        rows = self.rows(
            f"SELECT * FROM decisions {where} ORDER BY issued_on DESC, id DESC LIMIT {PAGE + 1}", params
        )
        self.decision_parts([r[0] for r in rows[:PAGE]])

    # One function per request: the same data the endpoint returns, in plain SQL.

    def sql_decision(self) -> None:
        self.rows("SELECT * FROM decisions WHERE id = ?", (self.decision_id,))
        self.decision_parts([self.decision_id])

    def regulator_clause(self, regulator_id: int) -> str:
        """The regulator filter as the app writes it: from the regulator's side when it has few
        decisions, else walking the list (app/services/decisions.py `_among`)."""
        from app.services.decisions import FEW_DECISIONS

        (n,) = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM decision_regulators WHERE regulator_id = ? LIMIT ?)",
            (regulator_id, FEW_DECISIONS + 1),
        ).fetchone()
        if n <= FEW_DECISIONS:
            return (
                "id IN (SELECT decision_id FROM decision_regulators WHERE regulator_id = ?) "
                "AND compliance || '' = ?"
            )
        return (
            "EXISTS (SELECT 1 FROM decision_regulators dr WHERE dr.decision_id = decisions.id "
            "AND dr.regulator_id = ?) AND compliance = ?"
        )

    def sql_decisions_filtered(self) -> None:
        self.decision_page(
            f"WHERE {self.regulator_clause(self.regulator_id)}", (self.regulator_id, self.compliance)
        )

    def sql_decisions_small_regulator(self) -> None:
        self.decision_page(
            f"WHERE {self.regulator_clause(self.small_regulator_id)}",
            (self.small_regulator_id, self.compliance),
        )

    def sql_recommendations_filtered(self) -> None:
        self.rows(
            "SELECT * FROM recommendations WHERE status = ? AND due_on IS NOT NULL AND due_on < ? "
            f"AND status NOT IN ('complied', 'withdrawn') ORDER BY id LIMIT {PAGE + 1}",
            (self.status, self.today),
        )

    def sql_first_page(self) -> None:
        self.decision_page()

    def sql_last_page(self) -> None:
        self.decision_page("WHERE (issued_on, id) < (?, ?)", self.last_key)

    def sql_search_like(self) -> None:
        pattern = f"%{SEARCH_WORD}%"
        self.decision_page(
            "WHERE title LIKE ? OR reference LIKE ? OR summary LIKE ?", (pattern, pattern, pattern)
        )

    def sql_search_fts(self) -> None:
        for table in self.fts_tables:
            self.rows(
                f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT 20", (SEARCH_WORD,)
            )

    def sql_stats(self) -> None:
        self.rows("SELECT compliance, count(*) FROM decisions GROUP BY compliance")
        self.rows("SELECT status, count(*) FROM recommendations GROUP BY status")
        self.rows(
            "SELECT count(*) FROM recommendations "
            "WHERE due_on < ? AND status NOT IN ('complied', 'withdrawn')",
            (self.today,),
        )
        self.rows("SELECT substr(issued_on, 1, 4), count(*) FROM decisions GROUP BY 1")
        self.rows("SELECT regulator_id, count(*) FROM decision_regulators GROUP BY regulator_id")
        self.rows(
            "SELECT penalty_currency, sum(penalty_amount) FROM decisions "
            "WHERE penalty_currency IS NOT NULL GROUP BY penalty_currency"
        )

    def sql_dashboard(self) -> None:
        self.rows("SELECT compliance, count(*) FROM decisions GROUP BY compliance")
        self.rows(
            "SELECT * FROM recommendations WHERE due_on < ? AND status NOT IN ('complied', 'withdrawn') "
            "ORDER BY due_on LIMIT 10",
            (self.today,),
        )
        self.rows("SELECT * FROM decisions ORDER BY issued_on DESC, id DESC LIMIT 10")
        self.rows("SELECT * FROM assessments ORDER BY recorded_at DESC LIMIT 10")

    def sql_decision_page(self) -> None:
        self.sql_decision()
        recs = self.rows("SELECT * FROM recommendations WHERE decision_id = ?", (self.decision_id,))
        ids = [r[0] for r in recs]
        if ids:
            self.rows(
                f"SELECT * FROM assessments WHERE recommendation_id IN ({','.join('?' * len(ids))}) "
                "ORDER BY recommendation_id, assessed_on, id",
                ids,
            )

    def sql_export(self) -> None:
        for _ in self.conn.execute(f"SELECT * FROM recommendations ORDER BY id LIMIT {EXPORT_ROWS}"):
            pass


# -- Scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    path: str | None  # on the app; None when this build lacks it
    sql: Callable[[], None] | None
    datasette: str | None = None
    kind: str = "json"  # json, html, stats, search, export
    note: str = ""
    app: dict[int, Load] = field(default_factory=dict)
    peer: dict[int, Load] = field(default_factory=dict)
    raw: tuple[float, float] | None = None
    export: Export | None = None
    peer_export: Export | None = None


def q(params: dict[str, Any]) -> str:
    return urllib.parse.urlencode(params)


def find_export(paths: dict[str, Any]) -> str | None:
    """The app's CSV export of recommendations (or decisions), as this build names it."""
    candidates = [
        p
        for p, ops in paths.items()
        if "get" in ops and "{" not in p and ("csv" in p.lower() or "export" in p.lower())
    ]

    def rank(p: str) -> tuple[int, int]:
        return ("csv" not in p.lower(), "recommendation" not in p.lower())

    for path in sorted(candidates, key=rank):
        params = {prm["name"] for prm in paths[path]["get"].get("parameters", [])}
        if "csv" in path.lower():
            return path
        if "format" in params:
            return f"{path}?format=csv"
    return None


def tilde_encode(name: str) -> str:
    """A database name as Datasette writes it in URLs (`bench-0.1` is `bench-0~2E1`)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else f"~{ord(c):02X}" for c in name)


def scenarios(record: Record, paths: dict[str, Any], base: str, db_name: str) -> list[Scenario]:
    api = "/api/v1"
    r = record
    ds = f"/{tilde_encode(db_name)}"
    common = {"_size": PAGE, "_nocount": 1, "_nofacet": 1}
    in_regulator = (
        f"id IN (SELECT decision_id FROM decision_regulators WHERE regulator_id = {r.regulator_id})"
    )
    newest = common | {"_sort_desc": "issued_on"}
    in_small = (
        f"id IN (SELECT decision_id FROM decision_regulators WHERE regulator_id = {r.small_regulator_id})"
    )
    like = " OR ".join(f"{c} LIKE '%{SEARCH_WORD}%'" for c in ("title", "reference", "summary"))
    out = [
        Scenario(
            "decision by id",
            f"{api}/decisions/{r.decision_id}",
            r.sql_decision,
            f"{ds}/decisions/{r.decision_id}.json",
        ),
        Scenario(
            "decisions ?regulator_id&compliance",
            f"{api}/decisions?{q({'regulator_id': r.regulator_id, 'compliance': r.compliance})}",
            r.sql_decisions_filtered,
            f"{ds}/decisions.json?{q(newest | {'compliance': r.compliance, '_where': in_regulator})}",
            note=f"regulator {r.regulator_id} ({r.regulator_decisions} decisions, the 10th busiest)",
        ),
        Scenario(
            "decisions ?regulator_id&compliance, small regulator",
            f"{api}/decisions?{q({'regulator_id': r.small_regulator_id, 'compliance': r.compliance})}",
            r.sql_decisions_small_regulator,
            f"{ds}/decisions.json?{q(newest | {'compliance': r.compliance, '_where': in_small})}",
            note=f"regulator {r.small_regulator_id} ({r.small_regulator_decisions} decisions, the median)",
        ),
        Scenario(
            "recommendations ?status&overdue",
            f"{api}/recommendations?{q({'status': r.status, 'overdue': 'true'})}",
            r.sql_recommendations_filtered,
            f"{ds}/recommendations.json?{q(common | {'status': r.status, 'due_on__lt': r.today})}",
        ),
        Scenario(
            "decisions, first page",
            f"{api}/decisions",
            r.sql_first_page,
            f"{ds}/decisions.json?{q(common | {'_sort_desc': 'issued_on'})}",
        ),
        Scenario(
            "decisions, deepest page",
            f"{api}/decisions?{q({'cursor': r.last_cursor})}",
            r.sql_last_page,
            f"{ds}/decisions.json?{q(newest | {'_next': f'{r.last_key[0]},{r.last_key[1]}'})}",
            note=f"the last of {-(-r.n_decisions // PAGE)} pages, newest first",
        ),
    ]
    if f"{api}/search" in paths:
        out.append(
            Scenario(
                "search",
                f"{api}/search?{q({'q': SEARCH_WORD})}",
                r.sql_search_fts if r.fts_tables else r.sql_search_like,
                kind="search",
                note=f"/api/v1/search?q={SEARCH_WORD}",
            )
        )
    else:
        out.append(
            Scenario(
                "search (decision list ?q=)",
                f"{api}/decisions?{q({'q': SEARCH_WORD})}",
                r.sql_search_like,
                f"{ds}/decisions.json?{q(newest | {'_where': like})}",
                kind="search",
                note="no /api/v1/search on this build: the `q` filter of the decision list",
            )
        )
    out.append(
        Scenario("stats", f"{api}/stats" if f"{api}/stats" in paths else None, r.sql_stats, kind="stats")
    )
    for name, path, sql in (
        ("decision page (HTML)", f"/decisions/{r.decision_id}", r.sql_decision_page),
        ("dashboard (HTML)", "/", r.sql_dashboard),
    ):
        status, ctype = probe(base + path)
        out.append(Scenario(name, path if status == 200 and "html" in ctype else None, sql, kind="html"))
    export = find_export(paths)
    out.append(
        Scenario(
            f"CSV export, {EXPORT_ROWS:,} rows",
            export,
            r.sql_export,
            f"{ds}/recommendations.csv?{q({'_stream': 'on', '_size': 'max'})}",
            kind="export",
            note=export or "",
        )
    )
    return out


# -- Report -------------------------------------------------------------------------------


def ms(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a is not None and b else "—"


def targets(results: list[Scenario]) -> list[tuple[str, str, bool | None]]:
    """Each target of issue 7: what it asks, what was measured, met or not (None: not measured)."""
    out: list[tuple[str, str, bool | None]] = []
    by = {s.name: s for s in results}
    for s in results:
        if s.kind in ("json", "search") and s.app and s.raw:
            limit = 3 * s.raw[0] + 2
            got = s.app[1].p50
            out.append(
                (f"{s.name}: p50 ≤ 3x raw SQL + 2 ms", f"{ms(got)} ms vs ≤ {ms(limit)} ms", got <= limit)
            )
        if s.app and 16 in s.app:
            c16 = s.app[16]
            out.append(
                (
                    f"{s.name}: p99 ≤ 3x p50 at 16 clients",
                    f"{ms(c16.p99)} vs ≤ {ms(3 * c16.p50)} ms",
                    c16.p99 <= 3 * c16.p50,
                )
            )
    first, last = by.get("decisions, first page"), by.get("decisions, deepest page")
    if first and last and first.app and last.app:
        out.append(
            (
                "deepest page ≤ 2x first page (p50)",
                f"{ms(last.app[1].p50)} vs ≤ {ms(2 * first.app[1].p50)} ms",
                last.app[1].p50 <= 2 * first.app[1].p50,
            )
        )
    for s in results:
        if s.kind == "search":
            out.append(
                (
                    "search p95 ≤ 50 ms",
                    f"{ms(s.app[1].p95)} ms" if s.app else "n/a",
                    s.app[1].p95 <= 50 if s.app else None,
                )
            )
        if s.name in ("stats", "dashboard (HTML)"):
            out.append(
                (
                    f"{s.name} ≤ 100 ms (p95, 1 client)",
                    f"{ms(s.app[1].p95)} ms" if s.app else "n/a on this build",
                    s.app[1].p95 <= 100 if s.app else None,
                )
            )
        if s.name.startswith(("decisions ?", "recommendations ?")) and s.app and s.peer:
            out.append(
                (
                    f"{s.name}: throughput ≥ Datasette's (16 clients)",
                    f"{s.app[16].rps:.0f} vs {s.peer[16].rps:.0f} req/s "
                    f"(server CPU {s.app[16].cpu:.1f} vs {s.peer[16].cpu:.1f} ms/req)",
                    s.app[16].rps >= s.peer[16].rps,
                )
            )
        if s.kind == "export":
            out.append(
                (
                    "export peak RSS < 300 MB",
                    f"{s.export.rss_peak:.0f} MiB" if s.export else "n/a on this build",
                    s.export.rss_peak < 300 if s.export else None,
                )
            )
    return out


def report(results: list[Scenario], info: dict[str, Any]) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run {info['when']} by `{info['command']}` on `{info['db']}` "
        f"({info['db_mib']:.0f} MiB; {info['scale']}).",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in info["machine"].items()),
        "- Shared: the 2 cores are shared with other engineers' test runs (load average "
        f"{info['load_before']} before this run, {info['load_after']} after); the load tool, the "
        "server and the raw-SQL timings all run on them too, so latencies vary by ±30% between runs.",
        "",
        "## Record",
        "",
        *(f"- {k}: {v:,}" for k, v in info["counts"].items()),
        "",
        "## Latency and throughput",
        "",
        f"Each request for {info['seconds']:g} s at 1 and at 16 concurrent clients (after a 1 s warm-up), "
        "latencies in ms. Raw SQL: the same query with sqlite3 in-process on the same file "
        "(p50 / p95). Datasette: the same table query, `datasette serve -i` (immutable), "
        "`_nocount=1&_nofacet=1`, measured the same way.",
        "",
        "| request | app p50 / p95 / p99 (1 client) | app req/s (1) | app p50 / p95 / p99 (16 clients) "
        "| app req/s (16) | raw SQL p50 / p95 | Datasette p50 (1) | Datasette req/s (16) "
        "| app ÷ raw SQL (p50) | app ÷ Datasette (p50, 1) | app ÷ Datasette (req/s, 16) "
        "| server CPU ms/req, app / Datasette (16) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in results:
        if s.kind == "export":
            continue
        if not s.app:
            lines.append(
                f"| {s.name} | n/a on this build | | | | {ms(s.raw[0]) if s.raw else '—'} / "
                f"{ms(s.raw[1]) if s.raw else '—'} | | | | | | |"
            )
            continue
        a1, a16 = s.app[1], s.app[16]
        p1, p16 = s.peer.get(1), s.peer.get(16)
        lines.append(
            f"| {s.name} | {ms(a1.p50)} / {ms(a1.p95)} / {ms(a1.p99)} | {a1.rps:.0f} "
            f"| {ms(a16.p50)} / {ms(a16.p95)} / {ms(a16.p99)} | {a16.rps:.0f} "
            f"| {ms(s.raw[0]) if s.raw else '—'} / {ms(s.raw[1]) if s.raw else '—'} "
            f"| {ms(p1.p50) if p1 else '—'} | {f'{p16.rps:.0f}' if p16 else '—'} "
            f"| {ratio(a1.p50, s.raw[0] if s.raw else None)} | {ratio(a1.p50, p1.p50 if p1 else None)} "
            f"| {ratio(a16.rps, p16.rps if p16 else None)} "
            f"| {a16.cpu:.1f} / {f'{p16.cpu:.1f}' if p16 else '—'} |"
        )
    errors = [
        f"{s.name} ({c} clients): {ld.errors} of {ld.requests}"
        for s in results
        for side in (s.app, s.peer)
        for c, ld in side.items()
        if ld.errors
    ]
    lines += ["", f"Non-200 answers: {'; '.join(errors) if errors else 'none'}.", ""]
    notes = [f"- {s.name}: {s.note}" for s in results if s.note]
    if notes:
        lines += ["Requests:", "", *notes, ""]
    lines += [
        "## CSV export",
        "",
        "| server | rows | seconds | RSS before (MiB) | peak RSS (MiB) | raw SQL (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for s in results:
        if s.kind != "export":
            continue
        raw = ms(s.raw[0]) if s.raw else "—"
        if s.export:
            e = s.export
            lines.append(
                f"| app `{s.path}` | {e.rows:,} | {e.seconds:.2f} | {e.rss_before:.0f} "
                f"| {e.rss_peak:.0f} | {raw} |"
            )
        else:
            lines.append(f"| app | n/a on this build | | | | {raw} |")
        if s.peer_export:
            e = s.peer_export
            lines.append(
                f"| Datasette `.csv?_stream=on` | {e.rows:,} | {e.seconds:.2f} | {e.rss_before:.0f} "
                f"| {e.rss_peak:.0f} | |"
            )
    lines += ["", "## Targets (issue 7)", "", "| target | measured | met |", "|---|---|---|"]
    for what, got, met in targets(results):
        lines.append(f"| {what} | {got} | {'yes' if met else 'n/a' if met is None else '**no**'} |")
    lines.append("")
    return "\n".join(lines)


# -- Main ---------------------------------------------------------------------------------


def datasette_command(explicit: str | None) -> str | None:
    for candidate in (
        explicit,
        str(ROOT / "bench/out/datasette-venv/bin/datasette"),
        shutil.which("datasette"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def run(db: Path, *, seconds: float, out: Path | None, datasette: str | None, command: str) -> str:
    if shutil.which("hey") is None:
        raise SystemExit("bench/run.py needs `hey` (Debian: apt-get install hey); `make bench` installs it.")
    db = db.resolve()
    meta_path = Path(f"{db}.json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    load_before = Path("/proc/loadavg").read_text().split()[0]
    record = Record(db)
    logs = ROOT / "bench/out"
    logs.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"DATABASE_URL": f"sqlite:///{db}"}
    findings = Path(sys.executable).parent / "findings"
    port = free_port()
    with serve(
        "app",
        [str(findings), "serve", "--host", "127.0.0.1", "--port", str(port)],
        "/openapi.json",
        port,
        env,
        logs / "server-app.log",
    ) as app:
        paths = json.loads(get(app.base + "/openapi.json")[2])["paths"]
        results = scenarios(record, paths, app.base, db.stem)
        for s in results:
            if s.sql is not None:
                s.raw = time_sql(s.sql, min(seconds, 3))
            if s.path is None:
                print(f"{s.name}: n/a on this build", flush=True)
                continue
            status, _, _ = get(app.base + s.path) if s.kind != "export" else (200, "", b"")
            if status != 200:
                raise RuntimeError(f"{s.name}: GET {s.path} answered {status}")
            if s.kind == "export":
                s.export = measure_export(app.base + s.path, app.pid, EXPORT_ROWS)
            else:
                s.app = load_both(app.base + s.path, seconds, app.pid)
            print(f"{s.name}: app done", flush=True)
    ds = datasette_command(datasette)
    if ds is not None:
        port = free_port()
        argv = [
            ds,
            "serve",
            "-i",
            str(db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--setting",
            "sql_time_limit_ms",
            "20000",
            "--setting",
            "max_csv_mb",
            "0",
        ]
        with serve("datasette", argv, "/-/databases.json", port, env, logs / "server-datasette.log") as peer:
            for s in results:
                if s.datasette is None:
                    continue
                if s.kind == "export":
                    s.peer_export = measure_export(peer.base + s.datasette, peer.pid, EXPORT_ROWS)
                else:
                    status, _, body = get(peer.base + s.datasette)
                    if status != 200:
                        raise RuntimeError(f"Datasette {s.datasette} answered {status}: {body[:300]!r}")
                    s.peer = load_both(peer.base + s.datasette, seconds, peer.pid)
                print(f"{s.name}: datasette done", flush=True)
    counts = meta.get("rows") or {
        t: record.rows(f"SELECT count(*) FROM {t}")[0][0]
        for t in ("regulators", "organisations", "decisions", "recommendations", "assessments")
    }
    info = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "db": db.relative_to(ROOT) if db.is_relative_to(ROOT) else db,
        "db_mib": db.stat().st_size / 2**20,
        "scale": (
            f"scale {meta['scale']:g}, seed {meta['seed']}, generated in {meta['seconds']['total']:g} s"
            if meta
            else "scale unknown"
        ),
        "machine": machine()
        | (
            {"Datasette": subprocess.run([ds, "--version"], capture_output=True, text=True).stdout.strip()}
            if ds
            else {}
        ),
        "counts": {
            k: counts[k]
            for k in ("regulators", "organisations", "decisions", "recommendations", "assessments")
            if k in counts
        },
        "seconds": seconds,
        "load_before": load_before,
        "load_after": Path("/proc/loadavg").read_text().split()[0],
    }
    text = report(results, info)
    notes = HERE / "NOTES.md"
    if notes.exists():
        text += "\n" + notes.read_text()
    if out is not None:
        out.write_text(text)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a SQLite file made by bench.generate")
    parser.add_argument("--seconds", type=float, default=5, help="load time per request and concurrency")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/RESULTS.md", help="Markdown to write")
    parser.add_argument("--datasette", help="the datasette command (default: bench/out/datasette-venv)")
    args = parser.parse_args(argv)
    command = "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    print(run(args.db, seconds=args.seconds, out=args.out, datasette=args.datasette, command=command))


if __name__ == "__main__":
    main()

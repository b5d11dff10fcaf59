"""Serving and loading: the servers as users run them, `hey` at fixed concurrencies with the
server's CPU per request, raw-SQL timings in process, a streamed export with its memory, and
the machine's description.
"""

import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CONCURRENCY = (1, 16)

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
    except OSError:  # nothing listening: not on this build
        return 0, ""


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
    # On PostgreSQL, the CPU time per request of the database's backends serving the app's
    # connections (`backend_cpu_ms`), ms; None on SQLite (in the app's process).
    db_cpu: float | None = None


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


def backend_cpu(postmaster: int, database: str) -> dict[int, float]:
    """The CPU time (ms) of each PostgreSQL backend serving a connection to `database`: the
    postmaster's children whose title reads `postgres: USER DATABASE HOST(PORT) ...` (the
    background workers, the checkpointer and the autovacuum launcher are left out)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) != postmaster:
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:  # gone meanwhile
            continue
        if len(title) >= 3 and title[0] == "postgres:" and title[2] == database:
            out[int(entry.name)] = (int(stat[11]) + int(stat[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    return out


@dataclass
class Backends:
    """The PostgreSQL backends of one database, whose CPU is counted beside the app's."""

    postmaster: int
    database: str

    def used_since(self, before: dict[int, float]) -> float:
        """CPU (ms) the backends used since `before` (a backend opened meanwhile from 0; one
        closed meanwhile is lost, which the app's pool, kept open, does not do under load)."""
        now = backend_cpu(self.postmaster, self.database)
        return sum(ms - before.get(pid, 0.0) for pid, ms in now.items())

    def snapshot(self) -> dict[int, float]:
        return backend_cpu(self.postmaster, self.database)


def load_both(url: str, seconds: float, pid: int, backends: Backends | None = None) -> dict[int, Load]:
    """Load `url` at each concurrency, with the server's CPU time per request (which, unlike
    latency, does not depend on what else the shared cores are doing) and, on PostgreSQL, its
    backends' CPU time per request."""
    hey(url, concurrency=2, seconds=1)  # warm up: caches, connections, code paths
    out = {}
    for c in CONCURRENCY:
        before = cpu_ms(pid)
        db_before = backends.snapshot() if backends else {}
        load = hey(url, concurrency=c, seconds=seconds)
        load.cpu = (cpu_ms(pid) - before) / load.requests
        if backends:
            load.db_cpu = backends.used_since(db_before) / load.requests
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

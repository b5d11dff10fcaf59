"""The write mix, measured after the reads with plain urllib at one client, on a copy of the
database so that the generated record stays reusable: assessments posted to recommendations
spread over the record (an editor token made with `findings token create --role editor`), and
renames of the busiest regulator (`PATCH` with `If-Match`, the ETag read just before).
"""

import datetime as dt
import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.load import cpu_ms, percentile

STATUSES = ("complied", "partially_complied", "not_complied", "disputed")
WARM_UP = 2


def copy_sqlite(source: Path, copy: Path) -> Path:
    """A consistent copy of a SQLite file (the backup API), left in WAL mode as the app runs it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        src.close()
        dst.close()
    return copy


def editor_token(findings: Path, env: Mapping[str, str]) -> str:
    """A new editor token on the database `env` points at (the secret is printed once, last)."""
    out = subprocess.run(
        [str(findings), "token", "create", "--name", "bench-writer", "--role", "editor", "--no-expiry"],
        env=dict(env),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def send(
    method: str, url: str, *, token: str, body: Any = None, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def summary(times: list[float], cpu: float, errors: list[str]) -> dict[str, Any]:
    ordered = sorted(times)
    return {
        "n": len(ordered),
        "p50": percentile(ordered, 50) if ordered else None,
        "p95": percentile(ordered, 95) if ordered else None,
        "max": ordered[-1] if ordered else None,
        "cpu": cpu / len(ordered) if ordered else None,
        "errors": errors[:5],
        "error_count": len(errors),
    }


def time_assessments(base: str, pid: int, token: str, *, recommendations: int, n: int) -> dict[str, Any]:
    """`n` assessments (after a warm-up), each on another recommendation spread over the ids."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    ids = [1 + i * recommendations // (n + WARM_UP) for i in range(n + WARM_UP)]
    times: list[float] = []
    errors: list[str] = []
    cpu = 0.0
    for i, rec_id in enumerate(ids):
        body = {
            "status": STATUSES[i % len(STATUSES)],
            "assessed_on": today,
            "asserted_by": "regulator",
            "note": "Benchmark write.",
        }
        before_cpu, start = cpu_ms(pid), time.perf_counter()
        status, _, answer = send(
            "POST", f"{base}/api/v1/recommendations/{rec_id}/assessments", token=token, body=body
        )
        elapsed, used = (time.perf_counter() - start) * 1000, cpu_ms(pid) - before_cpu
        if status != 201:
            errors.append(f"POST assessment on {rec_id}: {status} {answer[:200]!r}")
        elif i >= WARM_UP:
            times.append(elapsed)
            cpu += used
    return summary(times, cpu, errors)


def time_renames(base: str, pid: int, token: str, *, regulator_id: int, n: int) -> dict[str, Any]:
    """`n` renames of one regulator, each with the ETag of the version it read (the read not timed)."""
    url = f"{base}/api/v1/regulators/{regulator_id}"
    times: list[float] = []
    errors: list[str] = []
    cpu = 0.0
    status, headers, answer = send("GET", url, token=token)
    if status != 200:
        return summary([], 0.0, [f"GET regulator {regulator_id}: {status} {answer[:200]!r}"])
    name = json.loads(answer)["name"]
    etag = headers.get("ETag") or headers.get("etag") or ""
    for i in range(n):
        body = {"name": f"{name} (renamed {i + 1})"}
        before_cpu, start = cpu_ms(pid), time.perf_counter()
        status, headers, answer = send("PATCH", url, token=token, body=body, headers={"If-Match": etag})
        elapsed, used = (time.perf_counter() - start) * 1000, cpu_ms(pid) - before_cpu
        if status != 200:
            errors.append(f"PATCH regulator {regulator_id}: {status} {answer[:200]!r}")
            break
        etag = headers.get("ETag") or headers.get("etag") or ""
        times.append(elapsed)
        cpu += used
    return summary(times, cpu, errors)

"""A crowd: anonymous readers and writers at once, with a probe, against the app as users run it.

    python -m bench.crowd [--scale 0.02] [--backends sqlite,postgresql] [--seconds 60]
        [--readers 50] [--writers 25] [--then-readers 36] [--out bench/out/CROWD.md]

Issue 30's load test, repeated after its fixes (not a timed test: a measurement, with its
figures in the README's security section). For each database, the app is served by
`findings serve` (uvicorn, one process) on a free loopback port, on the record generated at
`--scale` (bench/generate.py; SQLite: a copy of bench/out/crowd-SCALE.sqlite3, made once;
PostgreSQL: a throwaway server as the tests start one, the record generated into it), then:

1. `--readers` anonymous readers, half on the decision list page (`/decisions`, HTML, served in
   a thread) and half on the API's (`/api/v1/decisions`, served on the event loop), and
   `--writers` writers posting assessments (an editor token; each on a random recommendation),
   for `--seconds`;
2. then `--then-readers` readers alone (half and half), for `--seconds`.

Every client asks again as soon as it has its answer (no pause), through its own connection, in
one asyncio process (httpx2) beside the server. Throughout, a probe asks for `/robots.txt` every
quarter second. A request unanswered after `--timeout` seconds (30) counts as a timeout. The
report gives, per kind of client and phase: requests, statuses (each error with what its
answer said, so that a 503 tells the admission queue from the database), p50, p95 and max
latency; the probe's max; the server's CPU; and the machine's load average before and after
each phase (the machine is shared: the figures mean little under another's load). Done when no
request takes over 10 s and the probe stays under 3 s.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, text

from bench import generate, writes
from bench.load import ROOT, cpu_ms, free_port, machine, percentile, serve

LOGS = ROOT / "bench/out"
STATUSES = ("complied", "partially_complied", "not_complied", "disputed", "pending")
LIMIT_ANY = 10.0  # no request over this many seconds
LIMIT_PROBE = 3.0  # the probe under this, throughout
PROBE_EVERY = 0.25


@dataclass
class Kind:
    """The answers one kind of client got in one phase."""

    times: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def note(self, started: float, status: str, detail: str = "") -> None:
        self.times.append(time.perf_counter() - started)
        self.statuses[status] += 1
        if detail:
            self.errors[f"{status}: {detail}"] += 1

    def summary(self, seconds: float) -> dict[str, Any]:
        ordered = sorted(self.times)
        return {
            "n": len(ordered),
            "per_second": round(len(ordered) / seconds, 1),
            "statuses": dict(sorted(self.statuses.items())),
            "p50": round(percentile(ordered, 50), 3) if ordered else None,
            "p95": round(percentile(ordered, 95), 3) if ordered else None,
            "max": round(ordered[-1], 3) if ordered else None,
            "errors": dict(self.errors.most_common(5)),
        }


def _detail(response: httpx.Response) -> str:
    """What an error answer says (problem+json's detail, or the start of a page's text)."""
    try:
        return str(response.json().get("detail", ""))[:120]
    except ValueError:
        body = response.text
        start = body.find("<h1")
        return " ".join(body[start : start + 300].split())[:120] if start >= 0 else body[:80]


async def client_loop(
    client: httpx.AsyncClient, kind: Kind, stop: float, request: Any, *, timeout: float
) -> None:
    while time.perf_counter() < stop:
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(request(client), timeout)
        except TimeoutError:
            kind.note(started, "timeout")
            continue
        except httpx.HTTPError as exc:
            kind.note(started, "error", type(exc).__name__)
            await asyncio.sleep(0.1)
            continue
        ok = response.status_code < 400
        kind.note(started, str(response.status_code), "" if ok else _detail(response))


async def phase(
    base: str, *, readers: int, writers: int, seconds: float, token: str, recommendations: int, timeout: float
) -> dict[str, Any]:
    """One phase: readers (half pages, half API), writers, and the probe; what each got."""
    kinds = {"page readers": Kind(), "API readers": Kind(), "writers": Kind(), "probe": Kind()}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    rng = random.Random(30)

    async def page(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/decisions")

    async def api(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/api/v1/decisions")

    async def write(client: httpx.AsyncClient) -> httpx.Response:
        body = {
            "status": rng.choice(STATUSES),
            "assessed_on": today,
            "asserted_by": "press",
            "note": "Crowd benchmark write.",
        }
        rec = rng.randint(1, recommendations)
        return await client.post(
            f"/api/v1/recommendations/{rec}/assessments",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    async def probe(stop: float) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=None) as client:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    response = await asyncio.wait_for(client.get("/robots.txt"), timeout)
                    kinds["probe"].note(started, str(response.status_code))
                except TimeoutError:
                    kinds["probe"].note(started, "timeout")
                await asyncio.sleep(max(0.0, PROBE_EVERY - (time.perf_counter() - started)))

    limits = httpx.Limits(
        max_connections=readers + writers + 10, max_keepalive_connections=readers + writers + 10
    )
    load_before = os.getloadavg()
    started = time.perf_counter()
    stop = started + seconds
    async with httpx.AsyncClient(base_url=base, timeout=None, limits=limits) as client:
        tasks = [
            client_loop(
                client,
                kinds["page readers" if i % 2 == 0 else "API readers"],
                stop,
                page if i % 2 == 0 else api,
                timeout=timeout,
            )
            for i in range(readers)
        ] + [client_loop(client, kinds["writers"], stop, write, timeout=timeout) for _ in range(writers)]
        await asyncio.gather(probe(stop), *tasks)
    elapsed = time.perf_counter() - started
    out = {name: kind.summary(elapsed) for name, kind in kinds.items() if kind.times}
    every = [t for kind in kinds.values() for t in kind.times]
    out["all"] = {"max": round(max(every), 3) if every else None, "seconds": round(elapsed, 1)}
    out["load_average"] = {
        "before": [round(x, 2) for x in load_before],
        "after": [round(x, 2) for x in os.getloadavg()],
    }
    return out


def count_recommendations(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT max(id) FROM recommendations")).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def database(backend: str, scale: float, seed: int) -> Iterator[tuple[str, str]]:
    """The record at `scale` on `backend`, to be written to: (URL, a note on it)."""
    if backend == "sqlite":
        source = LOGS / f"crowd-{scale:g}.sqlite3"
        if not source.exists():
            print(f"sqlite: generating scale {scale:g} into {source}", flush=True)
            generate.generate(str(source), scale=scale, seed=seed)
            generate.rebuild_read_model(f"sqlite:///{source}", LOGS / "crowd-read-model.log")
        copy = writes.copy_sqlite(source, LOGS / f"crowd-run-{scale:g}.sqlite3")
        try:
            yield f"sqlite:///{copy}", f"a copy of {source.name}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        return
    from tests.pgserver import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("--backends postgresql needs PostgreSQL's initdb and pg_ctl (or PG_BINDIR)")
    server = PostgresServer(bindir)
    server.start()
    try:
        server.execute('CREATE DATABASE "crowd"')
        url = server.url("crowd")
        print(f"postgresql: generating scale {scale:g} on a throwaway server", flush=True)
        generate.generate(url, scale=scale, seed=seed)
        generate.rebuild_read_model(url, LOGS / "crowd-read-model-postgresql.log")
        yield url, f"a throwaway PostgreSQL {server.version} server, fsync off"
    finally:
        server.stop()


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    findings = Path(sys.executable).parent / "findings"
    with database(backend, args.scale, args.seed) as (url, note):
        env = os.environ | {"DATABASE_URL": url}
        token = writes.editor_token(findings, env)
        recommendations = count_recommendations(url)
        port = free_port()
        argv = [str(findings), "serve", "--host", "127.0.0.1", "--port", str(port)]
        with serve("app", argv, "/robots.txt", port, env, LOGS / f"crowd-server-{backend}.log") as app:
            results: dict[str, Any] = {"database": note}
            for name, readers, writers_ in (
                ("crowd", args.readers, args.writers),
                ("readers", args.then_readers, 0),
            ):
                cpu_before = cpu_ms(app.pid)
                print(
                    f"{backend}: {readers} readers and {writers_} writers for {args.seconds:g} s", flush=True
                )
                results[name] = asyncio.run(
                    phase(
                        app.base,
                        readers=readers,
                        writers=writers_,
                        seconds=args.seconds,
                        token=token,
                        recommendations=recommendations,
                        timeout=args.timeout,
                    )
                )
                results[name]["server_cpu_s"] = round((cpu_ms(app.pid) - cpu_before) / 1000, 1)
                results[name]["clients"] = {"readers": readers, "writers": writers_}
    return results


def verdict(result: dict[str, Any]) -> str:
    worst = result["all"]["max"] or 0.0
    probe = (result.get("probe") or {}).get("max") or 0.0
    timeouts = sum(k.get("statuses", {}).get("timeout", 0) for k in result.values() if isinstance(k, dict))
    ok = worst <= LIMIT_ANY and probe < LIMIT_PROBE and not timeouts
    return (
        f"{'met' if ok else 'missed'}: slowest answer {worst:.2f} s (limit {LIMIT_ANY:g}), "
        f"probe {probe:.2f} s (limit {LIMIT_PROBE:g})"
    )


def render(results: dict[str, Any]) -> str:
    lines = [
        "# A crowd of readers and writers",
        "",
        f"Run {results['when']} with `python -m bench.crowd` (`make bench-crowd`): scale "
        f"{results['scale']:g} (bench/generate.py), {results['seconds']:g} s a phase, client timeout "
        f"{results['timeout']:g} s.",
        "",
        "Machine: " + "; ".join(f"{k} {v}" for k, v in results["machine"].items()),
        "",
    ]
    for backend, result in results["backends"].items():
        lines += [f"## {backend} ({result['database']})", ""]
        for name in ("crowd", "readers"):
            r = result[name]
            load = r["load_average"]
            lines += [
                f"### {r['clients']['readers']} readers, {r['clients']['writers']} writers "
                f"({r['all']['seconds']:g} s): {verdict(r)}",
                "",
                f"Load average (1, 5, 15 min) before {load['before']}, after {load['after']}; "
                f"server CPU {r['server_cpu_s']} s.",
                "",
                "| clients | requests | per s | statuses | p50 s | p95 s | max s |",
                "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
            ]
            for kind in ("page readers", "API readers", "writers", "probe"):
                if kind not in r:
                    continue
                k = r[kind]
                statuses = ", ".join(f"{s}: {n:,}" for s, n in k["statuses"].items())
                lines.append(
                    f"| {kind} | {k['n']:,} | {k['per_second']} | {statuses} | {k['p50']} | {k['p95']} "
                    f"| {k['max']} |"
                )
            errors = {
                e: n
                for kind in ("page readers", "API readers", "writers")
                for e, n in r.get(kind, {}).get("errors", {}).items()
            }
            if errors:
                lines += ["", "Errors, with what the answer said:", ""]
                lines += [f"- {n:,} times {e}" for e, n in errors.items()]
            lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.02, help="the record's size (0.02: 4,000 decisions)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writers", type=int, default=25)
    parser.add_argument("--then-readers", type=int, default=36)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--out", default=str(LOGS / "CROWD.md"))
    args = parser.parse_args(argv)
    LOGS.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "scale": args.scale,
        "seconds": args.seconds,
        "timeout": args.timeout,
        "machine": machine() | {"load tool": "httpx2 (asyncio, one process beside the server)"},
        "backends": {},
    }
    for backend in args.backends.split(","):
        results["backends"][backend] = measure(backend.strip(), args)
    out = Path(args.out)
    out.write_text(render(results) + "\n")
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))


if __name__ == "__main__":
    main()

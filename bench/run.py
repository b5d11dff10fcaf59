"""Serve the app on loopback as users do and measure its key requests beside the floor and a peer,
on SQLite and on PostgreSQL, reads first and then a write mix.

    python -m bench.run --db bench/out/bench-1.sqlite3 [--backends sqlite,postgresql] [--seconds 5]
        [--writes 50] [--baseline OLD.json] [--out bench/RESULTS.md]

For each database (the same generated record on each), in one run:

- the app, served by `findings serve` (uvicorn, one process) on a free loopback port, loaded by
  `hey` for a bounded time at 1 and at 16 concurrent clients: p50, p95, p99 latency,
  throughput and the server's CPU per request (bench/load.py);
- the floor: the same query in raw SQL on the same database, timed in process (bench/record.py);
- a peer, on SQLite only: the same table query served by Datasette (immutable mode);
- then the write mix at one client on a copy of the database (bench/writes.py).

PostgreSQL: the runner starts a throwaway server as the tests do (tests/pgserver.py), generates
the record of `--db`'s scale and seed into it (bench/generate.py), serves the app on it and
stops it afterwards. After generating, `findings rebuild-read-model` builds the stored read
documents when the build has that command; the CPU of its backends serving the app's
connections is counted beside the app's (bench/load.py). The requests are in
bench/catalogue.py; the Markdown report and the targets of issue 29 in bench/report.py. The
results are also written as JSON beside the Markdown; `--baseline` compares with such a file
from an earlier run, `--growth` with one at a smaller scale (the growth table).
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import generate, report, writes
from bench.catalogue import Scenario, scenarios
from bench.load import ROOT, Backends, free_port, get, load_both, machine, measure_export, serve, time_sql
from bench.record import EXPORT_ROWS, Record

HERE = Path(__file__).resolve().parent
LOGS = ROOT / "bench/out"
BACKENDS = ("sqlite", "postgresql")
COUNTED = ("regulators", "organisations", "decisions", "recommendations", "assessments")


def findings_command() -> Path:
    return Path(sys.executable).parent / "findings"


def datasette_command(explicit: str | None) -> str | None:
    for candidate in (
        explicit,
        str(ROOT / "bench/out/datasette-venv/bin/datasette"),
        shutil.which("datasette"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def measure_app(
    record: Record, url: str, db_name: str, seconds: float, backend: str, backends: Backends | None = None
) -> list[Scenario]:
    """Every request of the catalogue on the app served on `url`, with its raw-SQL floor (and,
    on PostgreSQL, the CPU of the database's backends beside the app's: `backends`)."""
    port = free_port()
    argv = [str(findings_command()), "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = os.environ | {"DATABASE_URL": url}
    with serve("app", argv, "/openapi.json", port, env, LOGS / f"server-app-{backend}.log") as app:
        paths = json.loads(get(app.base + "/openapi.json")[2])["paths"]
        results = scenarios(record, paths, app.base, db_name)
        for s in results:
            if s.sql is not None:
                s.raw = time_sql(s.sql, min(seconds, 3))
            if s.path is None:
                print(f"{backend}: {s.name}: n/a on this build", flush=True)
                continue
            status, ctype, body = get(app.base + s.path) if s.kind != "export" else (200, "", b"")
            if status != 200:
                raise RuntimeError(f"{s.name}: GET {s.path} answered {status}: {body[:300]!r}")
            if s.kind == "search" and "json" in ctype:
                hits = len(json.loads(body).get("items", []))
                s.note += f"; {hits} {'hit' if hits == 1 else 'hits'} on the first page"
            if s.kind == "export":
                s.export = measure_export(app.base + s.path, app.pid, EXPORT_ROWS)
            else:
                s.app = load_both(app.base + s.path, seconds, app.pid, backends)
            print(f"{backend}: {s.name}: app done", flush=True)
    return results


def measure_datasette(results: list[Scenario], db: Path, datasette: str, seconds: float) -> None:
    port = free_port()
    argv = [
        datasette, "serve", "-i", str(db), "--host", "127.0.0.1", "--port", str(port),
        "--setting", "sql_time_limit_ms", "20000", "--setting", "max_csv_mb", "0",
    ]  # fmt: skip
    with serve(
        "datasette", argv, "/-/databases.json", port, dict(os.environ), LOGS / "server-datasette.log"
    ) as peer:
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
            print(f"sqlite: {s.name}: datasette done", flush=True)


def measure_writes(url: str, record: Record, n: int, backend: str) -> dict[str, Any]:
    """The write mix on the app served on `url` (a copy of the record): assessments, renames."""
    env = os.environ | {"DATABASE_URL": url}
    token = writes.editor_token(findings_command(), env)
    port = free_port()
    argv = [str(findings_command()), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with serve("app", argv, "/openapi.json", port, env, LOGS / f"server-writes-{backend}.log") as app:
        assessment = writes.time_assessments(
            app.base, app.pid, token, recommendations=record.n_recommendations, n=n
        )
        rename = writes.time_renames(
            app.base, app.pid, token, regulator_id=record.busiest_regulator_id, n=max(3, n // 10)
        )
    print(f"{backend}: writes done", flush=True)
    return {
        "assessment": assessment,
        "rename": rename,
        "regulator_note": f"regulator {record.busiest_regulator_id}, "
        f"{record.busiest_regulator_decisions:,} decisions",
    }


@contextmanager
def postgres_record(scale: float, seed: int) -> Iterator[tuple[Any, str, dict[str, Any]]]:
    """A throwaway PostgreSQL server holding the generated record: (server, its URL, the summary)."""
    from tests.pgserver import PostgresServer, find_bindir

    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("--backends postgresql needs PostgreSQL's initdb and pg_ctl (or PG_BINDIR)")
    server = PostgresServer(bindir)
    server.start()
    try:
        server.execute('CREATE DATABASE "bench"')
        url = server.url("bench")
        print(f"postgresql: generating scale {scale:g}, seed {seed} on {url}", flush=True)
        summary = generate.generate(url, scale=scale, seed=seed)
        summary["read_model"] = generate.rebuild_read_model(url, LOGS / "read-model-postgresql.log")
        yield server, url, summary
    finally:
        server.stop()


def measure_backend(
    backend: str, target: Path | str, *, db_name: str, seconds: float, n_writes: int, datasette: str | None,
    server: Any = None,
) -> tuple[dict[str, Any], dict[str, int]]:  # fmt: skip
    """Reads, Datasette (SQLite) and then writes on a copy, for one database; its results dict."""
    url = target if isinstance(target, str) else sqlite_url(target)
    record = Record(target)
    backends = None
    if server is not None:
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0])
        backends = Backends(postmaster, db_name)
    results = measure_app(record, url, db_name, seconds, backend, backends)
    if backend == "sqlite" and datasette is not None and isinstance(target, Path):
        measure_datasette(results, target, datasette, seconds)
    counts = {t: record.rows(f"SELECT count(*) FROM {t}")[0][0] for t in COUNTED}
    out: dict[str, Any] = {"database": str(target), "requests": [s.to_dict() for s in results]}
    out["writes"], out["writes_note"] = None, "no write mix (--writes 0)"
    record.conn.close()  # PostgreSQL copies a database only while nobody is connected to it
    if n_writes:
        if isinstance(target, Path):
            copy = writes.copy_sqlite(target, LOGS / f"writes-{target.name}")
            copy_url, note = sqlite_url(copy), f"on a copy of the file ({copy.name}), removed afterwards"
        else:
            # With fsync off, copying the files is faster than WAL-logging each page (as the tests do).
            strategy = " STRATEGY FILE_COPY" if server.version >= 15 else ""
            server.execute(f'CREATE DATABASE "bench_writes" TEMPLATE "bench"{strategy}')
            copy, copy_url, note = (
                None,
                server.url("bench_writes"),
                "on a copy of the database (bench_writes)",
            )
        try:
            out["writes"] = measure_writes(copy_url, record, n_writes, backend)
            out["writes_note"] = note
        finally:
            if copy is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{copy}{suffix}").unlink(missing_ok=True)
    return out, counts


def run(
    db: Path | None, *, backends: Sequence[str], seconds: float, out: Path | None, datasette: str | None,
    command: str, n_writes: int = 50, baseline: Path | None = None, scale: float | None = None,
    seed: int | None = None, growth: Path | None = None,
) -> str:  # fmt: skip
    if shutil.which("hey") is None:
        raise SystemExit("bench/run.py needs `hey` (Debian: apt-get install hey); `make bench` installs it.")
    LOGS.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {}
    if db is not None:
        db = db.resolve()
        meta_path = Path(f"{db}.json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        if "sqlite" in backends and "read_model" not in meta:
            # A file generated with --no-read-model (or by an older generator): build them once.
            meta["read_model"] = generate.rebuild_read_model(sqlite_url(db), LOGS / "read-model-sqlite.log")
            if meta_path.exists():
                meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    scale = scale if scale is not None else meta.get("scale")
    seed = seed if seed is not None else meta.get("seed", 7)
    ds = datasette_command(datasette)
    load_before = Path("/proc/loadavg").read_text().split()[0]
    results: dict[str, Any] = {"backends": {}}
    counts: dict[str, int] = {}
    for backend in backends:
        if backend == "sqlite":
            if db is None:
                raise SystemExit("--backends sqlite needs --db (a file made by bench.generate)")
            measured, counts = measure_backend(
                backend, db, db_name=db.stem, seconds=seconds, n_writes=n_writes, datasette=ds
            )
            measured["read_model"] = meta["read_model"]
            measured["db_mib"] = db.stat().st_size / 2**20
        else:
            if scale is None:
                raise SystemExit("--backends postgresql needs --scale or a --db made by bench.generate")
            with postgres_record(scale, seed) as (server, url, summary):
                measured, counts = measure_backend(
                    backend,
                    url,
                    db_name="bench",
                    seconds=seconds,
                    n_writes=n_writes,
                    datasette=None,
                    server=server,
                )
                measured["server"] = f"{server.version} (a throwaway server, fsync off, as the tests run it)"
            measured["read_model"] = summary["read_model"]
            measured["generated_seconds"] = summary["seconds"]["total"]
        results["backends"][backend] = measured
    results["info"] = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "scale": f"scale {scale:g}, seed {seed}"
        + (f", SQLite file generated in {meta['seconds']['total']:g} s" if meta else ""),
        "machine": machine()
        | ({"PostgreSQL": results["backends"]["postgresql"]["server"]} if "postgresql" in backends else {})
        | datasette_version(ds),
        "counts": counts,
        "seconds": seconds,
        "load_before": load_before,
        "load_after": Path("/proc/loadavg").read_text().split()[0],
    }
    if growth is not None:
        results["smaller"] = smaller(json.loads(growth.read_text()))
    text = render(results, baseline)
    if out is not None:
        out.write_text(text)
        out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    return text


def smaller(results: dict[str, Any]) -> dict[str, Any]:
    """What the growth table needs of a run at a smaller scale: its scale and time, and each
    read's loads."""
    return {
        "info": {k: results["info"][k] for k in ("when", "scale", "command")},
        "backends": {
            b: {"requests": [{k: s[k] for k in ("name", "kind", "app")} for s in backend["requests"]]}
            for b, backend in results["backends"].items()
        },
    }


def render(results: dict[str, Any], baseline: Path | None) -> str:
    """The report of a run's results (beside a baseline's), with the notes kept by hand."""
    old = json.loads(baseline.read_text()) if baseline is not None else None
    text = report.report(results, old)
    notes = HERE / "NOTES.md"
    if notes.exists():
        text += "\n" + notes.read_text()
    return text


def datasette_version(ds: str | None) -> dict[str, str]:
    if ds is None:
        return {}
    return {"Datasette": subprocess.run([ds, "--version"], capture_output=True, text=True).stdout.strip()}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", type=Path, help="a SQLite file made by bench.generate (its scale and seed are reused)"
    )
    parser.add_argument(
        "--backends", default="sqlite", help="comma-separated: sqlite, postgresql (default: sqlite)"
    )
    parser.add_argument("--scale", type=float, help="the scale for PostgreSQL when there is no --db")
    parser.add_argument("--seed", type=int, help="the seed for PostgreSQL (default: --db's, else 7)")
    parser.add_argument("--seconds", type=float, default=5, help="load time per request and concurrency")
    parser.add_argument(
        "--writes", type=int, default=50, help="assessments posted (renames: a tenth, at least 3)"
    )
    parser.add_argument("--baseline", type=Path, help="the JSON results of an earlier run to compare with")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench/RESULTS.md", help="Markdown to write (JSON beside)"
    )
    parser.add_argument(
        "--growth",
        type=Path,
        help="the JSON results of a run at a smaller scale (same build): the report's growth table",
    )
    parser.add_argument("--datasette", help="the datasette command (default: bench/out/datasette-venv)")
    parser.add_argument(
        "--rewrite",
        action="store_true",
        help="measure nothing: write --out again from the JSON beside it (and --baseline) with "
        "the current NOTES.md, for notes written after the run",
    )
    args = parser.parse_args(argv)
    if args.rewrite:
        results = json.loads(args.out.with_suffix(".json").read_text())
        args.out.write_text(render(results, args.baseline))
        return
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - set(BACKENDS):
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}; use {', '.join(BACKENDS)}")
    command = "python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    print(
        run(
            args.db, backends=backends, seconds=args.seconds, out=args.out, datasette=args.datasette,
            command=command, n_writes=args.writes, baseline=args.baseline, scale=args.scale, seed=args.seed,
            growth=args.growth,
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()

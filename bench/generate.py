"""A realistic synthetic record at a chosen scale, loaded fast into a migrated database.

    python -m bench.generate --scale 0.01 --out bench/out/bench-0.01.sqlite3
    python -m bench.generate --url postgresql+psycopg://user@localhost/findings_bench

At scale 1: 1,000 regulators, 100,000 organisations, 200,000 decisions, 1,000,000
recommendations and 2,000,000 assessments, with skewed distributions like the real record's:
decisions per regulator and per respondent follow a Zipf-like law (a few regulators and a few
big respondents account for much of the record), more decisions in recent years, a heavy tail
of recommendations per decision and of assessments per recommendation, status histories that
move through a Markov chain towards compliance (with relapses, disputes and withdrawals),
some assessments dated before their decision and some recorded out of date order.

The schema comes from the project's migrations (`app.migrate.upgrade`); the rows are written
with bulk inserts (sqlite3 `executemany` with loading PRAGMAs, or PostgreSQL `COPY`), the
secondary indexes of the big tables rebuilt once at the end. The kept columns (a
recommendation's `status` and `last_assessed_on`, a decision's `compliance`) are computed here
with the app's own rule (`derive_compliance`) from the generated history, so they equal what
the services would derive. The same seed gives the same record.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app import migrate
from bench.histories import Decisions, Loader, Rows, Stamp
from bench.shape import (
    COUNTRIES,
    END,
    FULL,
    ORG_FORMS,
    ORG_KINDS,
    ORG_TRADES,
    ORG_WORDS,
    REGULATOR_BODIES,
    REGULATOR_KINDS,
    START,
    SUBDIVISIONS,
    TOPICS,
    Choice,
    Counts,
)
from bench.writers import PostgresWriter, SqliteWriter

__all__ = ["END", "FULL", "START", "Counts", "generate", "main"]


def open_target(target: str) -> tuple[str, Path | None]:
    """The database URL for `target` (a SQLite path or a URL) and the SQLite file, emptied, if any."""
    if "://" in target:
        url = target
        sqlite_path = Path(make_url(url).database or "") if url.startswith("sqlite") else None
    else:
        sqlite_path = Path(target)
        url = f"sqlite:///{sqlite_path}"
    if sqlite_path is not None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    return url, sqlite_path


def write_regulators(rng: random.Random, n: int, ts: Stamp, load: Loader) -> dict[int, str]:
    """A country or a subdivision each, mostly regulators, some courts; returns their jurisdictions."""
    reg_kind = Choice(REGULATOR_KINDS)
    regulators = []
    jurisdictions = {}
    for i in range(1, n + 1):
        country = COUNTRIES[i % len(COUNTRIES)] if i <= len(COUNTRIES) else rng.choice(COUNTRIES)
        jurisdiction = country if rng.random() < 0.7 else f"{country}-{rng.choice(SUBDIVISIONS)}"
        body = rng.choice(REGULATOR_BODIES)
        jurisdictions[i] = jurisdiction
        regulators.append(
            (
                i,
                f"{body} ({jurisdiction}) no. {i}",
                f"R{i}",
                jurisdiction,
                reg_kind(rng),
                f"https://regulator{i}.example.org",
                1,
                ts(START, i),
                ts(START, i),
            )
        )
    load.put("regulators", regulators)
    return jurisdictions


def write_organisations(rng: random.Random, n: int, ts: Stamp, load: Loader) -> list[str]:
    """Mostly companies; a few belong to a parent; a few have an alias. Returns their names."""
    org_kind = Choice(ORG_KINDS)
    organisations: Rows = []
    aliases: Rows = []
    names = []
    for i in range(1, n + 1):
        name = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_TRADES)} {rng.choice(ORG_FORMS)} #{i}"
        names.append(name)
        parent = rng.randrange(1, i) if i > 10 and rng.random() < 0.03 else None
        organisations.append(
            (
                i,
                name,
                org_kind(rng),
                rng.choice(COUNTRIES),
                f"https://org{i}.example.com",
                parent,
                1,
                ts(START, i),
                ts(START, i),
            )
        )
        if rng.random() < 0.05:
            aliases.append((len(aliases) + 1, i, 0, name.split(" #")[0]))
        if len(organisations) >= 50_000:
            load.put("organisations", organisations)
            organisations = []
    load.put("organisations", organisations)
    load.put("organisation_aliases", aliases)
    return names


def write_cases(rng: random.Random, n_decisions: int, ts: Stamp, load: Loader) -> int:
    """Cases gather some decisions about the same conduct; returns how many."""
    n_cases = max(1, n_decisions // 40)
    load.put(
        "cases",
        [
            (i, f"Case {i}: {rng.choice(TOPICS)}", None, 1, ts(START, i), ts(START, i))
            for i in range(1, n_cases + 1)
        ],
    )
    return n_cases


def generate(target: str, *, scale: float = 1.0, seed: int = 7, analyze: bool = False) -> dict[str, Any]:
    """Build the record at `target` (a SQLite file path or a database URL); return a summary."""
    started = time.perf_counter()
    url, sqlite_path = open_target(target)
    migrate.upgrade(url)
    writer: SqliteWriter | PostgresWriter = (
        SqliteWriter(sqlite_path) if sqlite_path is not None else PostgresWriter(url)
    )
    counts = Counts.at(scale)
    rng = random.Random(seed)
    ts = writer.timestamp
    load = Loader(writer)
    jurisdictions = write_regulators(rng, counts.regulators, ts, load)
    org_names = write_organisations(rng, counts.organisations, ts, load)
    n_cases = write_cases(rng, counts.decisions, ts, load)
    decisions = Decisions(rng, counts, ts, jurisdictions=jurisdictions, org_names=org_names, n_cases=n_cases)
    decisions.write(load)
    loaded = time.perf_counter()
    writer.finish(analyze=analyze)
    finished = time.perf_counter()
    return {
        "url": url if sqlite_path is None else str(sqlite_path),
        "scale": scale,
        "seed": seed,
        "analyzed": analyze,
        "counts": asdict(counts),
        "rows": dict(load.rows),
        "statuses": dict(decisions.status_totals),
        "compliance": dict(decisions.compliance_totals),
        "seconds": {
            "load": round(loaded - started, 1),
            "indexes": round(finished - loaded, 1),
            "total": round(finished - started, 1),
        },
        "bytes": sqlite_path.stat().st_size if sqlite_path is not None else None,
    }


def rebuild_read_model(url: str, log: Path | None = None) -> dict[str, Any]:
    """Build the stored read documents with `findings rebuild-read-model` when this build has the
    command (probed by its `--help`); the bulk load above writes the tables only."""
    findings = Path(sys.executable).parent / "findings"
    env = os.environ | {"DATABASE_URL": url}
    probe = subprocess.run([str(findings), "rebuild-read-model", "--help"], env=env, capture_output=True)
    if probe.returncode != 0:
        return {"present": False, "seconds": None}
    started = time.perf_counter()
    with open(log or os.devnull, "wb") as out:
        subprocess.run(
            [str(findings), "rebuild-read-model"], env=env, stdout=out, stderr=subprocess.STDOUT, check=True
        )
    return {"present": True, "seconds": round(time.perf_counter() - started, 1)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the full default record")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", help="SQLite file to (re)create (default bench/out/bench-SCALE.sqlite3)")
    parser.add_argument("--url", help="a database URL instead of --out (postgresql+psycopg://...)")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE after loading")
    parser.add_argument(
        "--no-read-model", action="store_true", help="skip `findings rebuild-read-model` after loading"
    )
    args = parser.parse_args(argv)
    target = args.url or args.out or f"bench/out/bench-{args.scale:g}.sqlite3"
    summary = generate(target, scale=args.scale, seed=args.seed, analyze=args.analyze)
    if not args.no_read_model:
        url = target if "://" in target else f"sqlite:///{Path(target).resolve()}"
        summary["read_model"] = rebuild_read_model(url)
    if "://" not in target:
        Path(f"{target}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

"""Time the shipped CSV imports on the real data sets (../shared/data), each into a fresh
SQLite database, the way a user runs them: `findings import-csv MAPPING FILE`, then again
(the second run must create nothing). Writes a Markdown table.

    .venv/bin/python -m bench.imports --out bench/IMPORTS.md

Wall time is what a user waits; CPU time (user + system, of the command) is what the import
costs, and is the steadier figure on a shared machine. Peak memory is the command's largest
resident set. "import" is the time the command itself reports for the import (after its
start-up: Python, the app's modules, the mapping).
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FINDINGS = Path(sys.executable).parent / "findings"

SETS = {
    "TAIC": ("taic.toml", ["TAIC-report-summary/cleaned_TAIC_recommendations_2024_11_19.csv"], 10.0),
    "GDPR fines": ("gdpr-fines.toml", ["gdpr-fines-analysis/scraped_fines.csv"], 5.0),
    "UPR (7 files)": ("upr.toml", [f"uprs/{year}data.csv" for year in range(2008, 2015)], 60.0),
}


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    import_s: float
    rows: int
    created: int
    matched: int
    rejected: int


REPORT = re.compile(r"(\d+) rows: (\d+) created, (\d+) matched, (\d+) rejected \((?:[^;]*; )?([\d.]+) s\)")


def run(mapping: str, path: Path, env: dict[str, str]) -> Run:
    """One `findings import-csv`, with its own resource use (wait4: this child's alone)."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            [str(FINDINGS), "import-csv", str(ROOT / "mappings" / mapping), str(path)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    found = REPORT.search(text)
    assert child.returncode == 0 and found, text
    rows, created, matched, rejected, seconds = found.groups()
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        import_s=float(seconds),
        rows=int(rows),
        created=int(created),
        matched=int(matched),
        rejected=int(rejected),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "IMPORTS.md")
    args = parser.parse_args()
    work = ROOT / "bench" / "out" / "imports"
    work.mkdir(parents=True, exist_ok=True)
    lines = [
        "# CSV import timings",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python -m bench.imports` "
        f"on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite; "
        f"load average {os.getloadavg()[0]:.1f} at the start (the machine is shared with other "
        "work: wall times vary with it, CPU times much less). Each data set goes into a fresh "
        "database, then is imported again (which must create nothing).",
        "",
        "| data set | rows | created | rejected | wall (s) | CPU (s) | CPU less start-up (s) "
        "| import alone, wall (s) "
        "| peak memory (MB) | target | second run: created / matched, wall (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for name, (mapping, files, target) in SETS.items():
        db = work / f"{mapping}.sqlite3"
        for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            stale.unlink(missing_ok=True)  # a stale WAL would be replayed into the new file
        env = os.environ | {"DATABASE_URL": f"sqlite:///{db}"}
        subprocess.run([str(FINDINGS), "migrate"], env=env, check=True, capture_output=True)
        # The command's start-up alone (Python, the app, the mapping): its header only, per file.
        header = work / f"{mapping}.header.csv"
        head = (DATA / files[0]).read_bytes()[:65536]
        # The first line, whatever its end (the UPR files mix CR, LF and CRLF).
        header.write_bytes(head[: min(i for i in (head.find(b"\r"), head.find(b"\n"), len(head)) if i >= 0)])
        startup = run(mapping, header, env)
        firsts = [run(mapping, DATA / f, env) for f in files]
        seconds = [run(mapping, DATA / f, env) for f in files]
        total = Run(
            wall=sum(r.wall for r in firsts),
            cpu=sum(r.cpu for r in firsts),
            rss_mb=max(r.rss_mb for r in firsts),
            import_s=sum(r.import_s for r in firsts),
            rows=sum(r.rows for r in firsts),
            created=sum(r.created for r in firsts),
            matched=sum(r.matched for r in firsts),
            rejected=sum(r.rejected for r in firsts),
        )
        again_created = sum(r.created for r in seconds)
        again_matched = sum(r.matched for r in seconds)
        met = "met" if total.import_s < target and total.rss_mb < 300 else "NOT met"
        cpu_alone = total.cpu - len(files) * startup.cpu
        lines.append(
            f"| {name} | {total.rows:,} | {total.created:,} | {total.rejected:,} | {total.wall:.1f} | "
            f"{total.cpu:.1f} | {cpu_alone:.1f} | {total.import_s:.1f} | {total.rss_mb:.0f} "
            f"| < {target:g} s, < 300 MB: {met} | "
            f"{again_created} / {again_matched:,}, {sum(r.wall for r in seconds):.1f} |"
        )
        print(lines[-1], flush=True)
    lines += [
        "",
        "wall and CPU: the whole commands (one per file); CPU less start-up: less that of the same "
        "command on the file's header alone, once per file; import alone: the time each command "
        "reports for the import itself, summed. The target is judged on that last figure.",
        "",
        "Before the batched writes (issue 11) these imports ran row by row through the per-request "
        "services at 30 to 100 rows a second: the seven UPR files took about 17 minutes.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()

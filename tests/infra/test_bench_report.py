"""The benchmark's report: the targets of issue 29 judged from a results dict (the JSON the runner
writes), the comparison with a baseline run, and the Markdown for both databases."""

import json
from typing import Any

from bench import report


def measured(p50: float, rps: float, cpu: float, p95: float | None = None) -> dict[str, Any]:
    load = {"p50": p50, "p95": p95 or p50 * 1.2, "p99": p50 * 1.5, "rps": rps, "requests": 100, "errors": 0}
    return {"1": load | {"cpu": cpu}, "16": load | {"cpu": cpu}}


def request(
    name: str, kind: str = "json", *, app: Any = None, peer: Any = None, current: bool = False
) -> Any:
    return {
        "name": name, "kind": kind, "path": "/x", "datasette": None, "note": "", "current": current,
        "app": app or {}, "peer": peer or {}, "raw": [1.0, 2.0], "export": None, "peer_export": None,
    }  # fmt: skip


def results_of(*, by_id_rps: float, page_rps: float, assessment: float) -> dict[str, Any]:
    sqlite = {
        "database": "bench.sqlite3",
        "read_model": {"present": False, "seconds": None},
        "requests": [
            request(
                "decision by id", app=measured(2, by_id_rps, 0.7), peer=measured(1, 100, 1.5), current=True
            ),
            request(
                "decisions, first page", app=measured(10, 50, 9.0), peer=measured(3, 100, 3.0), current=True
            ),
            request("decisions ?as_of", "as_of", app=measured(25, 20, 20.0)),
            request("search, common word", "search", app=measured(20, 40, 20.0, p95=29.0)),
            request("search, common + rare word", "search", app=measured(20, 40, 20.0, p95=31.0)),
            request("decision page (HTML)", "html", app=measured(10, page_rps, 10.0)),
        ],
        "writes": {
            "assessment": {
                "n": 10,
                "p50": assessment,
                "p95": 12.0,
                "max": 13.0,
                "cpu": 5.0,
                "errors": [],
                "error_count": 0,
            },
            "rename": {
                "n": 3,
                "p50": 250.0,
                "p95": 260.0,
                "max": 260.0,
                "cpu": 90.0,
                "errors": [],
                "error_count": 0,
            },
            "regulator_note": "regulator 7, 40,000 decisions",
        },
        "writes_note": "on a copy",
    }
    postgres = {
        "database": "postgresql+psycopg://findings@127.0.0.1:1/bench",
        "read_model": {"present": True, "seconds": 1.5},
        "generated_seconds": 12.5,
        "requests": [request("decision by id", app=measured(3, 300, 1.0), current=True)],
        "writes": None,
        "writes_note": "no write mix (--writes 0)",
    }
    info = {
        "when": "2026-12-02 06:00 UTC", "command": "python -m bench.run", "scale": "scale 0.001, seed 7",
        "machine": {"CPU": "test"}, "counts": {"decisions": 200}, "seconds": 1,
        "load_before": "1.0", "load_after": "1.0",
    }  # fmt: skip
    return {"info": info, "backends": {"sqlite": sqlite, "postgresql": postgres}}


def test_targets_are_judged_from_a_results_dict() -> None:
    rows = {(what.split(":")[0], db): (got, met) for what, db, got, met in report.targets(
        results_of(by_id_rps=250, page_rps=30, assessment=10.0)
    )}  # fmt: skip
    # 250 req/s is 2.5x Datasette's 100, with 0.7 ms of CPU against its 1.5 (under half): met.
    assert rows[("decision by id", "SQLite")] == ("250 vs 100 req/s = 2.5x; CPU 0.7 vs 1.5 ms/req", True)
    # 50 against 100 req/s, and more CPU per request: missed.
    assert rows[("decisions, first page", "SQLite")][1] is False
    # PostgreSQL: at least Datasette's req/s on the SQLite file of the same record, and its app +
    # backends CPU within twice the SQLite path's (1.0 against 2 x 0.7).
    assert rows[("decision by id", "PostgreSQL")][1] is True
    assert "vs SQLite 0.7 ms/req" in rows[("decision by id", "PostgreSQL")][0]
    assert rows[("search, common word", "SQLite")][1] is True  # p95 29 <= 30
    assert rows[("search, common + rare word", "SQLite")][1] is False  # p95 31
    assert rows[("as_of decision list", "SQLite")] == ("20.0 vs ≤ 27.0 ms (2.2x the current's)", True)
    # The decision page's CPU per view against its 5 ms: missed at 10.
    assert rows[("decision page (HTML)", "SQLite")] == ("10.0 ms (10.0 at 1 client)", False)
    # What the catalogue does not measure is said, not judged.
    assert rows[("dashboard (HTML)", "SQLite")][1] is None
    assert rows[("a group total", "PostgreSQL")] == ("not measured: not in the bench's catalogue", None)
    # Without a baseline the assessment write is explained, not judged; the rename is absolute.
    assert rows[("assessment write", "SQLite")][1] is None
    assert "no baseline" in rows[("assessment write", "SQLite")][0]
    assert rows[("rename of the busiest regulator ≤ 50 ms (p50)", "SQLite")][1] is False
    assert "not measured" in rows[("assessment write", "PostgreSQL")][0]
    assert rows[("as_of decision list", "PostgreSQL")] == ("n/a on this build", None)
    assert rows[("growth", "SQLite")][1] is None


def test_a_baseline_run_sets_the_relative_targets() -> None:
    baseline = results_of(by_id_rps=100, page_rps=10, assessment=10.0)
    faster = results_of(by_id_rps=250, page_rps=35, assessment=11.5)
    rows = {(w.split(":")[0], db): (got, met) for w, db, got, met in report.targets(faster, baseline)}
    assert rows[("assessment write", "SQLite")][1] is True  # 11.5 <= 1.2 x 10
    slower = results_of(by_id_rps=250, page_rps=25, assessment=12.5)
    rows = {(w.split(":")[0], db): (got, met) for w, db, got, met in report.targets(slower, baseline)}
    assert rows[("assessment write", "SQLite")][1] is False  # 12.5 > 12
    text = report.report(slower, baseline)
    assert "## Against the baseline" in text
    assert "| SQLite | decision page (HTML) | 10.0 / 10.0 (1.0x) | 25 / 10 (2.5x) |" in text


def test_the_report_renders_both_databases_and_the_targets_table() -> None:
    results = json.loads(json.dumps(results_of(by_id_rps=250, page_rps=30, assessment=10.0)))
    text = report.report(results)
    assert "## SQLite" in text and "## PostgreSQL" in text and "## Side by side" in text
    assert "no `findings rebuild-read-model`" in text
    assert "`findings rebuild-read-model` ran after generating (1.5 s)" in text
    assert "/bench`, the record generated into it in 12.5 s." in text
    assert "| decision by id | 2.0 / 250 / 0.7 | 3.0 / 300 / 1.0 |" in text
    assert "| assessment (POST) | 10 | 10.0 | 12.0 | 13.0 | 5.0 | none |" in text
    assert "Not measured: no write mix (--writes 0)." in text
    table = text.split("## Targets (issue 29)")[1]
    by_id = "| decision by id: ≥ 2x Datasette's req/s (16 clients), CPU/req ≤ 0.5x Datasette's | SQLite | "
    assert by_id in table
    # The first page, the common + rare search, the decision page's CPU, the rename.
    assert table.count("| **no** |") == 4
    assert "## Against the baseline" not in text


def test_rewrite_renders_the_saved_results_again_with_the_notes(tmp_path: Any) -> None:
    from bench import run

    out = tmp_path / "RESULTS.md"
    results = results_of(by_id_rps=250, page_rps=35, assessment=11.5)
    out.with_suffix(".json").write_text(json.dumps(results))
    (tmp_path / "old.json").write_text(json.dumps(results_of(by_id_rps=100, page_rps=10, assessment=10.0)))
    run.main(["--rewrite", "--out", str(out), "--baseline", str(tmp_path / "old.json")])
    text = out.read_text()
    assert text == run.render(results, tmp_path / "old.json")
    assert "## Against the baseline" in text and "## Targets (issue 29)" in text
    assert text.endswith((run.HERE / "NOTES.md").read_text())

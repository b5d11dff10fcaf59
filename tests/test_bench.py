"""The benchmark's generator makes a consistent record: its kept columns equal what the services derive."""

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import Assessment, Decision, DecisionRelation, Recommendation
from app.schemas.filters import DecisionFilter
from app.services import compliance, decisions
from app.vocab import Compliance, DecisionKind
from bench import generate

SCALE = 0.0005


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("bench") / "bench.sqlite3"
    return path, generate.generate(str(path), scale=SCALE, seed=11)


def test_counts_follow_the_scale(generated: tuple[Path, dict[str, Any]]) -> None:
    path, summary = generated
    counts = generate.Counts.at(SCALE)
    with sqlite3.connect(path) as conn:
        for table in ("regulators", "organisations", "decisions", "recommendations", "assessments"):
            (n,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert n == getattr(counts, table) == summary["rows"][table]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        # The migrations' indexes are all back after the load.
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"ix_recommendations_status_id", "ix_assessments_recommendation_id"} <= names


def test_kept_statuses_equal_the_derived_ones(generated: tuple[Path, dict[str, Any]]) -> None:
    path, _ = generated
    db = Database(f"sqlite:///{path}")
    try:
        with db.transaction(write=False) as session:
            # A recommendation's kept status is its latest assessment's, as the services derive it.
            last = (
                select(func.max(Assessment.assessed_on))
                .where(Assessment.recommendation_id == Recommendation.id)
                .scalar_subquery()
            )
            rows = session.execute(
                select(
                    Recommendation.status,
                    compliance.status_expr(generate.END),
                    Recommendation.last_assessed_on,
                    last,
                )
            ).all()
            assert rows and all(kept == derived for kept, derived, _, _ in rows)
            assert all(kept_on == last_on for _, _, kept_on, last_on in rows)
            # Some histories were recorded out of date order, and some recommendations have none.
            assert {r[0] for r in rows} >= {"pending", "complied"}

            # A decision's kept compliance is the rule applied to its recommendations' statuses.
            ids = list(session.scalars(select(Decision.id)))
            counts = compliance.counts_by_decision(session, ids, as_of=None)
            kept = dict(session.execute(select(Decision.id, Decision.compliance)).all())
            assert all(kept[i] == compliance.derive_compliance(counts[i]) for i in ids)
            derived = dict(
                session.execute(select(Decision.id, compliance.decision_compliance_expr(generate.END))).all()
            )
            assert all(kept[i].value == derived[i] for i in ids)

            # Links go from a later decision to an earlier one.
            later, earlier = Decision, Decision.__table__.alias("earlier")
            bad = session.scalar(
                select(func.count())
                .select_from(DecisionRelation)
                .join(later, later.id == DecisionRelation.decision_id)
                .join(earlier, earlier.c.id == DecisionRelation.related_decision_id)
                .where(earlier.c.issued_on > later.issued_on)
            )
            assert bad == 0
            # The services read every generated decision.
            page = decisions.list_(session, limit=500)
            assert len(page.items) == len(ids)
    finally:
        db.dispose()


def record_checksum(path: Path) -> str:
    """A digest of every generated row, in a fixed order, over the columns the generator writes."""
    from bench.writers import COLUMNS

    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for table, columns in sorted(COLUMNS.items()):
            listed = ", ".join(columns)
            for row in conn.execute(f"SELECT {listed} FROM {table} ORDER BY {listed}"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


# The digest of the record at SCALE, seed 11, made by the generator before it was split into
# functions (bench/generate.py as of commit afd1346): the split must draw the same record.
RECORD_BEFORE_THE_SPLIT = "33df61f1395a7535d0b4858ed690ef2f6c3ed918a4da327775195f9cb10f0e1a"


def test_the_record_is_the_one_drawn_before_the_split(generated: tuple[Path, dict[str, Any]]) -> None:
    path, _ = generated
    assert record_checksum(path) == RECORD_BEFORE_THE_SPLIT


def test_same_seed_same_record(generated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    _, summary = generated
    again = generate.generate(str(tmp_path / "again.sqlite3"), scale=SCALE, seed=11)
    for key in ("rows", "statuses", "compliance"):
        assert again[key] == summary[key]
    assert record_checksum(tmp_path / "again.sqlite3") == record_checksum(generated[0])
    other = generate.generate(str(tmp_path / "other.sqlite3"), scale=SCALE, seed=12)
    assert record_checksum(tmp_path / "other.sqlite3") != record_checksum(generated[0])
    assert other["rows"]["decisions"] == summary["rows"]["decisions"]


@pytest.mark.parametrize("few", [0, 10, 10_000])
def test_owner_filters_give_the_same_rows_whichever_side_leads(
    generated: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """A regulator's or party's decisions are found from its side or by walking the list: same rows."""
    path, _ = generated
    monkeypatch.setattr(decisions, "FEW_DECISIONS", few)
    db = Database(f"sqlite:///{path}")
    try:
        with db.transaction(write=False) as session:
            owners = [("regulator_id", i) for i in range(1, 6)] + [("organisation_id", i) for i in (1, 2, 3)]
            for key, owner in owners:
                for extra in (
                    {},
                    {"compliance": Compliance.partially_complied},
                    {"kind": DecisionKind.fine},
                ):
                    kwargs = {key: owner, **extra}
                    filters = DecisionFilter.model_validate(kwargs)
                    expected = [d.id for d in session.scalars(decisions.filtered(filters))]  # plain EXISTS
                    got, cursor = [], None
                    while True:
                        page = decisions.list_(session, filters, limit=7, cursor=cursor, sort="id")
                        got += [d.id for d in page.items]
                        if not (cursor := page.next_cursor):
                            break
                    assert got == sorted(expected), kwargs
    finally:
        db.dispose()


def test_runner_builds_cursors_as_the_app_does() -> None:
    """The benchmark jumps to the deepest page with a cursor it builds: it must be the app's."""
    import datetime as dt

    from app.services import pagination
    from bench import catalogue, load, record

    key = ("2000-01-21", 51)
    built = record.cursor_for("-issued_on", key)
    assert built == pagination.encode_cursor("-issued_on", (dt.date(2000, 1, 21), 51))
    sort_key = decisions.SORTS["-issued_on"]
    assert pagination.decode_cursor(built, "-issued_on", sort_key.parse) == (dt.date(2000, 1, 21), 51)
    assert catalogue.tilde_encode("bench-0.01") == "bench-0~2E01"
    assert load.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert load.percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0


# -- The runner's modules: catalogue, raw SQL, writes' copy, the read-model probe, the report ---


def test_catalogue_picks_its_parameters_from_the_record(generated: tuple[Path, dict[str, Any]]) -> None:
    import datetime as dt

    from bench import catalogue, record

    path, _ = generated
    r = record.Record(path)
    try:
        with sqlite3.connect(path) as conn:
            (newest,) = conn.execute("SELECT max(issued_on) FROM decisions").fetchone()
            busiest = conn.execute(
                "SELECT regulator_id, count(*) FROM decision_regulators GROUP BY regulator_id "
                "ORDER BY count(*) DESC, regulator_id LIMIT 1"
            ).fetchone()
            (respondent_of,) = conn.execute(
                "SELECT count(*) FROM decision_organisations "
                "WHERE role = 'respondent' AND organisation_id = ?",
                (int(r.rare_word),),
            ).fetchone()
        assert dt.date.fromisoformat(newest) - dt.date.fromisoformat(r.as_of) == dt.timedelta(days=730)
        assert (r.busiest_regulator_id, r.busiest_regulator_decisions) == busiest
        # Numbers under 100 are in other texts too; this tiny record has only 50 organisations.
        assert int(r.rare_word) >= 100 or generate.Counts.at(SCALE).organisations < 100
        assert respondent_of == r.rare_decisions > 0
        # The pair finds something: one of the rare word's decisions is about the common word.
        (about,) = conn.execute(
            "SELECT count(*) FROM decisions d JOIN decision_organisations o ON o.decision_id = d.id "
            "WHERE o.role = 'respondent' AND o.organisation_id = ? AND d.title LIKE '%: biometric%'",
            (int(r.rare_word),),
        ).fetchone()
        assert about > 0
        assert r.pair == f"biometric {r.rare_word}"

        paths = {"/api/v1/search": {"get": {}}, "/api/v1/stats": {"get": {}}}
        # Nothing listens on the discard port: the HTML pages are reported as not on this build.
        scenarios = catalogue.scenarios(r, paths, "http://127.0.0.1:9", path.stem)
        by = {s.name: s for s in scenarios}
        assert {s.name for s in scenarios if s.current} == {
            "decision by id",
            "decisions ?regulator_id&compliance",
            "decisions ?regulator_id&compliance, small regulator",
            "recommendations ?status&overdue",
            "decisions, first page",
            "decisions, deepest page",
        }
        assert by["decisions ?as_of"].path == f"/api/v1/decisions?as_of={r.as_of}"
        assert by["search, common + rare word"].path == f"/api/v1/search?q=biometric+{r.rare_word}"
        assert by["decision page (HTML)"].path is None
        # Every raw-SQL floor runs on the generated file.
        for s in scenarios:
            if s.sql is not None:
                s.sql()
        # Without /api/v1/search the decision list's q filter stands in.
        names = {s.name for s in catalogue.scenarios(r, {}, "http://127.0.0.1:9", path.stem)}
        assert "search (decision list ?q=)" in names and "search, common word" not in names
    finally:
        r.conn.close()


def test_writes_run_on_a_copy_equal_to_the_record(
    generated: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    from bench import writes

    path, _ = generated
    copy = writes.copy_sqlite(path, tmp_path / "copy.sqlite3")
    assert record_checksum(copy) == record_checksum(path)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize("has_command", [False, True])
def test_the_read_model_is_rebuilt_only_where_the_build_has_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, has_command: bool
) -> None:
    """The probe asks `findings rebuild-read-model --help`; a stand-in `findings` records its calls."""
    calls = tmp_path / "calls"
    script = tmp_path / "findings"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$DATABASE_URL $*" >> {calls}\n'
        f'[ "$1" = rebuild-read-model ] && exit {0 if has_command else 2}\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    got = generate.rebuild_read_model("sqlite:///x.db")
    assert got["present"] is has_command
    lines = calls.read_text().splitlines()
    expected = ["sqlite:///x.db rebuild-read-model --help"] + (
        ["sqlite:///x.db rebuild-read-model"] if has_command else []
    )
    assert lines == expected
    assert (got["seconds"] is not None) is has_command


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
                "decision by id", app=measured(2, by_id_rps, 1.0), peer=measured(1, 100, 1.5), current=True
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
    from bench import report

    rows = {(what.split(":")[0], db): (got, met) for what, db, got, met in report.targets(
        results_of(by_id_rps=250, page_rps=30, assessment=10.0)
    )}  # fmt: skip
    # 250 req/s is 2.5x Datasette's 100, with less CPU per request: met.
    assert rows[("decision by id", "SQLite")][1] is True
    # 50 against 100 req/s, and more CPU per request: missed.
    assert rows[("decisions, first page", "SQLite")][1] is False
    # PostgreSQL is held to Datasette on the SQLite file of the same record.
    assert rows[("decision by id", "PostgreSQL")][1] is True
    assert "Datasette on the SQLite file" in rows[("decision by id", "PostgreSQL")][0]
    assert rows[("search, common word", "SQLite")][1] is True
    assert rows[("search, common + rare word", "SQLite")][1] is False
    assert rows[("as_of decision list", "SQLite")] == ("25.0 vs ≤ 30.0 ms (2.5x the current's)", True)
    # Without a baseline the comparisons are explained, not judged.
    assert rows[("assessment write", "SQLite")][1] is None
    assert "no baseline" in rows[("assessment write", "SQLite")][0]
    assert rows[("decision page (HTML)", "SQLite")][1] is None
    assert rows[("rename of the busiest regulator ≤ 200 ms (p50)", "SQLite")][1] is False
    assert "not measured" in rows[("assessment write", "PostgreSQL")][0]
    assert rows[("as_of decision list", "PostgreSQL")] == ("n/a on this build", None)


def test_a_baseline_run_sets_the_relative_targets() -> None:
    from bench import report

    baseline = results_of(by_id_rps=100, page_rps=10, assessment=10.0)
    faster = results_of(by_id_rps=250, page_rps=35, assessment=11.5)
    rows = {(w.split(":")[0], db): (got, met) for w, db, got, met in report.targets(faster, baseline)}
    assert rows[("decision page (HTML)", "SQLite")][1] is True  # 35 >= 3 x 10
    assert rows[("assessment write", "SQLite")][1] is True  # 11.5 <= 1.2 x 10
    slower = results_of(by_id_rps=250, page_rps=25, assessment=12.5)
    rows = {(w.split(":")[0], db): (got, met) for w, db, got, met in report.targets(slower, baseline)}
    assert rows[("decision page (HTML)", "SQLite")] == ("25 vs ≥ 30 req/s (2.5x the baseline's 10)", False)
    assert rows[("assessment write", "SQLite")][1] is False
    text = report.report(slower, baseline)
    assert "## Against the baseline" in text
    assert "| SQLite | decision page (HTML) | 10.0 / 10.0 (1.0x) | 25 / 10 (2.5x) |" in text


def test_the_report_renders_both_databases_and_the_targets_table() -> None:
    import json

    from bench import report

    results = json.loads(json.dumps(results_of(by_id_rps=250, page_rps=30, assessment=10.0)))
    text = report.report(results)
    assert "## SQLite" in text and "## PostgreSQL" in text and "## Side by side" in text
    assert "no `findings rebuild-read-model`" in text
    assert "`findings rebuild-read-model` ran after generating (1.5 s)" in text
    assert "| decision by id | 2.0 / 250 / 1.0 | 3.0 / 300 / 1.0 |" in text
    assert "| assessment (POST) | 10 | 10.0 | 12.0 | 13.0 | 5.0 | none |" in text
    assert "Not measured: no write mix (--writes 0)." in text
    table = text.split("## Targets (issue 13)")[1]
    assert "| decision by id: ≥ 2x Datasette's req/s (16 clients), CPU/req ≤ Datasette's | SQLite | " in table
    assert table.count("| **no** |") == 3  # first page, the common + rare search, the rename
    assert "## Against the baseline" not in text


def test_the_rare_word_is_a_respondent_with_a_decision_about_the_common_word() -> None:
    """The trade `Biometrics` in a name is not the word `biometric` (FTS has no stemming)."""
    from bench import record

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE decisions (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("CREATE TABLE decision_organisations (decision_id INT, organisation_id INT, role TEXT)")
    titles = [(100, "Order concerning Acme Biometrics Ltd #100: cookie consent")] * 10
    titles += [(101, "Order concerning Iris Data AB #101: web scraping")] * 8
    titles += [(101, "Fine concerning Iris Data AB #101: biometric data")]
    titles += [(7, "Fine concerning Onyx Bank plc #7: biometric data")] * 10  # under 100: in other texts
    for i, (org, title) in enumerate(titles, 1):
        conn.execute("INSERT INTO decisions VALUES (?, ?)", (i, title))
        conn.execute("INSERT INTO decision_organisations VALUES (?, ?, 'respondent')", (i, org))
    assert record.rare_word(conn.execute) == ("101", 9)


@pytest.mark.postgres
def test_the_runner_picks_the_same_parameters_on_postgresql(
    generated: tuple[Path, dict[str, Any]], pg_server: Any
) -> None:
    """The same seed gives the same record on PostgreSQL, the same requests, and raw SQL that runs there."""
    from bench import catalogue, record

    path, summary = generated
    with pg_server.database() as url:
        again = generate.generate(url, scale=SCALE, seed=11)
        for key in ("rows", "statuses", "compliance"):
            assert again[key] == summary[key]
        lite, pg = record.Record(path), record.Record(url)
        try:
            assert pg.postgres and not lite.postgres
            for attr in (
                "n_decisions",
                "n_recommendations",
                "decision_id",
                "busiest_regulator_id",
                "regulator_id",
                "small_regulator_id",
                "last_key",
                "last_cursor",
                "as_of",
                "rare_word",
                "rare_decisions",
            ):
                assert getattr(pg, attr) == getattr(lite, attr), attr
            paths = {"/api/v1/search": {"get": {}}}
            scenarios = catalogue.scenarios(pg, paths, "http://127.0.0.1:9", "bench")
            assert [s.path for s in scenarios] == [
                s.path for s in catalogue.scenarios(lite, paths, "http://127.0.0.1:9", "bench")
            ]
            for s in scenarios:
                if s.sql is not None:
                    s.sql()
        finally:
            lite.conn.close()
            pg.conn.close()

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
from app.services import compliance
from app.services.record import decisions
from app.services.shared import planner
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


# Columns the generator writes since (the provenance of assessments: constants, no draw).
ADDED_SINCE = {
    "recommendations": {"status_origin", "status_reviewed"},
    "assessments": {"origin", "counted", "review", "version"},
}


def record_checksum(path: Path) -> str:
    """A digest of every generated row, in a fixed order, over the columns the generator wrote
    when the digest below was taken."""
    from bench.writers import COLUMNS

    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for table, all_columns in sorted(COLUMNS.items()):
            columns = [c for c in all_columns if c not in ADDED_SINCE.get(table, set())]
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
                    # Plain EXISTS (never from the owner's side), then the threshold tried.
                    monkeypatch.setattr(planner, "FEW_DECISIONS", -1)
                    expected = [d.id for d in session.scalars(decisions.filtered(filters, session=session))]
                    monkeypatch.setattr(planner, "FEW_DECISIONS", few)
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

    from app.services.shared import pagination
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


def test_the_report_counts_the_backends_cpu_and_the_growth() -> None:
    """PostgreSQL's CPU per request is the app's plus its backends'; the growth table and its
    target compare each read's CPU per request with a run at a smaller scale."""
    from bench import report

    def load(cpu: float, rps: float, db_cpu: float | None = None) -> dict[str, Any]:
        times = {"p50": 2.0, "p95": 3.0, "p99": 4.0}
        return times | {"rps": rps, "requests": 100, "errors": 0, "cpu": cpu, "db_cpu": db_cpu}

    def request(name: str, app: dict[str, Any], peer: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "name": name, "kind": "json", "path": "/x", "datasette": None, "note": "", "current": True,
            "app": {"1": app, "16": app}, "peer": {"16": peer} if peer else {}, "raw": None,
            "export": None, "peer_export": None,
        }  # fmt: skip

    def backend(*requests: dict[str, Any]) -> dict[str, Any]:
        return {"requests": list(requests), "writes": None, "writes_note": "none"}

    results = {
        "info": {"scale": "scale 1, seed 7", "when": "now"},
        "backends": {
            "sqlite": backend(request("decision by id", load(1.0, 500), peer=load(2.5, 200))),
            "postgresql": backend(request("decision by id", load(1.5, 210, db_cpu=0.9))),
        },
        "smaller": {
            "info": {"scale": "scale 0.1, seed 7", "when": "before", "command": "c"},
            "backends": {
                b: {"requests": [{"name": "decision by id", "kind": "json", "app": {"16": small}}]}
                for b, small in (("sqlite", load(0.9, 1)), ("postgresql", load(1.0, 1, 0.5)))
            },
        },
    }  # fmt: skip
    rows = {(what.split(":")[0], db): (got, met) for what, db, got, met in report.targets(results)}
    assert rows[("decision by id", "SQLite")] == ("500 vs 200 req/s = 2.5x; CPU 1.0 vs 2.5 ms/req", True)
    got, met = rows[("decision by id", "PostgreSQL")]
    assert "CPU 2.4 (app 1.5 + backends 0.9) vs SQLite 1.0" in got and met is False  # 2.4 > 2 x 1.0
    got, met = rows[("growth", "SQLite")]
    assert "decision by id 1.11x" in got and met is True
    got, met = rows[("growth", "PostgreSQL")]  # 2.4 against 1.5
    assert "over 1.3x: decision by id 1.60x" in got and met is False
    table = "\n".join(report.growth_table(results))
    assert "| PostgreSQL | decision by id | 1.5 | 2.4 | 1.6x |" in table
    pg_table = "\n".join(report.latency_table(results["backends"]["postgresql"], peer=False))
    assert "backends' CPU ms/req (16)" in pg_table and "| 0.9 | 2.4 |" in pg_table

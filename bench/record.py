"""The record's parameters (which decision, which regulators, which words) picked from the
generated database, and the raw SQL of each request: the queries the app needs for the same
answer, in the shape the app writes them, run in process on SQLite or PostgreSQL.
"""

import base64
import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PAGE = 50
EXPORT_ROWS = 100_000
SEARCH_WORD = "biometric"

# -- The record's parameters and the raw SQL ----------------------------------------------


def cursor_for(sort: str, key: Sequence[Any]) -> str:
    """A list cursor as the app writes it (see app/services/shared/pagination.py)."""
    payload = json.dumps([sort, list(key)], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


class Connection:
    """One read-only connection to the generated record, with `?` parameters on either database."""

    def __init__(self, target: Path | str) -> None:
        self.postgres = isinstance(target, str) and target.startswith("postgresql")
        if self.postgres:
            import psycopg
            from sqlalchemy.engine import make_url

            dsn = make_url(str(target)).set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn: Any = psycopg.connect(dsn, autocommit=True)
        else:
            self.conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, check_same_thread=False)
            self.conn.execute("PRAGMA cache_size=-2000")  # SQLite's default, as the app has it

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.postgres:
            return self.conn.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(params))
        return self.conn.execute(sql, params)

    def close(self) -> None:
        self.conn.close()


def plain(value: Any) -> Any:
    """A value as SQLite returns it (dates as ISO text), so that both databases give the same parameters."""
    return value.isoformat() if isinstance(value, dt.date) else value


def rare_word(q: Any) -> tuple[str, int]:
    """An organisation's number that names the respondent of about ten decisions (one of them, if
    any, about the common word), and how many decisions it is the respondent of."""
    rows = q(
        "SELECT o.organisation_id, count(*), sum(CASE WHEN d.title LIKE ? THEN 1 ELSE 0 END) "
        "FROM decision_organisations o JOIN decisions d ON d.id = o.decision_id "
        "WHERE o.role = 'respondent' GROUP BY o.organisation_id",
        # The topic ends the title ("...: biometric data"); not the trade in a name ("Biometrics"),
        # which SQLite's LIKE (case-blind) would also match and PostgreSQL's would not.
        (f"%: {SEARCH_WORD}%",),
    ).fetchall()
    # Numbers under 100 are also in the texts ("s. 42", "Article 7(2)", tag "sector-12"): avoided.
    org, n, _ = min(rows, key=lambda r: (r[0] < 100, r[2] == 0, abs(r[1] - 10), r[0]))
    return str(org), n


class Record:
    """Parameters picked from the generated record, and the raw SQL for each request."""

    def __init__(self, target: Path | str) -> None:
        self.target = target
        self.conn = Connection(target)
        self.postgres = self.conn.postgres

        def q(sql: str, params: Sequence[Any] = ()) -> Any:
            return self.conn.execute(sql, params)

        self.today = dt.datetime.now(dt.UTC).date().isoformat()
        (n_decisions,) = q("SELECT count(*) FROM decisions").fetchone()
        self.n_decisions = n_decisions
        (self.n_recommendations,) = q("SELECT count(*) FROM recommendations").fetchone()
        # A decision in the middle of the record with recommendations and two regulators, if any.
        self.decision_id = q(
            "SELECT d.id FROM decisions d WHERE d.id >= ? AND EXISTS (SELECT 1 FROM recommendations r "
            "WHERE r.decision_id = d.id) ORDER BY d.id LIMIT 1",
            (n_decisions // 2,),
        ).fetchone()[0]
        # The busiest regulator (renamed by the write mix), the tenth busiest (or the last) for
        # the filtered list, and one of median size: most regulators have few decisions.
        busiest = q(
            "SELECT regulator_id, count(*) FROM decision_regulators GROUP BY regulator_id "
            "ORDER BY count(*) DESC, regulator_id LIMIT 10"
        ).fetchall()
        self.busiest_regulator_id, self.busiest_regulator_decisions = busiest[0]
        self.regulator_id, self.regulator_decisions = busiest[-1]
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
        self.last_key = tuple(plain(v) for v in row)
        self.last_cursor = cursor_for("-issued_on", self.last_key)
        # The record as it stood two years before its newest decision.
        newest = dt.date.fromisoformat(plain(q("SELECT max(issued_on) FROM decisions").fetchone()[0]))
        self.as_of = (newest - dt.timedelta(days=730)).isoformat()
        # The rare word of the common + rare pair: the number in an organisation's generated name
        # ("Acme Data Ltd #4711"), which only its decisions' titles carry; the respondent of about
        # ten decisions, one of them about the common word if any is.
        self.rare_word, self.rare_decisions = rare_word(q)
        self.pair = f"{SEARCH_WORD} {self.rare_word}"
        fts = (
            []
            if self.postgres
            else q(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'"
            ).fetchall()
        )
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
        decisions, else walking the list (app/services/shared/planner.py)."""
        from app.services.shared.planner import FEW_DECISIONS

        (n,) = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM decision_regulators WHERE regulator_id = ? LIMIT ?) "
            "AS owned",
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

    def sql_search_fts(self, query: str = SEARCH_WORD) -> None:
        for table in self.fts_tables:
            self.rows(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT 20", (query,))

    def sql_search_pair(self) -> None:
        self.sql_search_fts(self.pair)

    def sql_as_of(self) -> None:
        """The decisions issued by the day, newest first (the app also derives their standing then)."""
        self.decision_page("WHERE issued_on <= ?", (self.as_of,))

    def sql_stats(self) -> None:
        self.rows("SELECT compliance, count(*) FROM decisions GROUP BY compliance")
        self.rows("SELECT status, count(*) FROM recommendations GROUP BY status")
        self.rows(
            "SELECT count(*) FROM recommendations "
            "WHERE due_on < ? AND status NOT IN ('complied', 'withdrawn')",
            (self.today,),
        )
        self.rows("SELECT substr(CAST(issued_on AS TEXT), 1, 4), count(*) FROM decisions GROUP BY 1")
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

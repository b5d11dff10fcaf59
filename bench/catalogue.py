"""The request catalogue: each request measured on the app, its raw-SQL floor and, on SQLite,
Datasette's equivalent table query; what a build lacks is kept as "n/a on this build".
"""

import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.load import Export, Load, probe
from bench.record import EXPORT_ROWS, PAGE, SEARCH_WORD, Record

# -- Scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    path: str | None  # on the app; None when this build lacks it
    sql: Callable[[], None] | None
    datasette: str | None = None
    kind: str = "json"  # json, as_of, html, stats, search, export
    note: str = ""
    current: bool = False  # a current (not as_of) list or read: issue 29's Datasette targets
    app: dict[int, Load] = field(default_factory=dict)
    peer: dict[int, Load] = field(default_factory=dict)
    raw: tuple[float, float] | None = None
    export: Export | None = None
    peer_export: Export | None = None

    def to_dict(self) -> dict[str, Any]:
        """What was measured, as the report and the JSON results read it."""
        return {
            "name": self.name,
            "kind": self.kind,
            "path": self.path,
            "datasette": self.datasette,
            "note": self.note,
            "current": self.current,
            "app": {str(c): asdict(v) for c, v in self.app.items()},
            "peer": {str(c): asdict(v) for c, v in self.peer.items()},
            "raw": list(self.raw) if self.raw else None,
            "export": asdict(self.export) if self.export else None,
            "peer_export": asdict(self.peer_export) if self.peer_export else None,
        }


def q(params: dict[str, Any]) -> str:
    return urllib.parse.urlencode(params)


def find_export(paths: dict[str, Any]) -> str | None:
    """The app's CSV export of recommendations (or decisions), as this build names it."""
    candidates = [
        p
        for p, ops in paths.items()
        if "get" in ops and "{" not in p and ("csv" in p.lower() or "export" in p.lower())
    ]

    def rank(p: str) -> tuple[int, int]:
        return ("csv" not in p.lower(), "recommendation" not in p.lower())

    for path in sorted(candidates, key=rank):
        params = {prm["name"] for prm in paths[path]["get"].get("parameters", [])}
        if "csv" in path.lower():
            return path
        if "format" in params:
            return f"{path}?format=csv"
    return None


def tilde_encode(name: str) -> str:
    """A database name as Datasette writes it in URLs (`bench-0.1` is `bench-0~2E1`)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else f"~{ord(c):02X}" for c in name)


def scenarios(record: Record, paths: dict[str, Any], base: str, db_name: str) -> list[Scenario]:
    api = "/api/v1"
    r = record
    ds = f"/{tilde_encode(db_name)}"
    common = {"_size": PAGE, "_nocount": 1, "_nofacet": 1}
    in_regulator = (
        f"id IN (SELECT decision_id FROM decision_regulators WHERE regulator_id = {r.regulator_id})"
    )
    newest = common | {"_sort_desc": "issued_on"}
    in_small = (
        f"id IN (SELECT decision_id FROM decision_regulators WHERE regulator_id = {r.small_regulator_id})"
    )
    like = " OR ".join(f"{c} LIKE '%{SEARCH_WORD}%'" for c in ("title", "reference", "summary"))
    out = [
        Scenario(
            "decision by id",
            f"{api}/decisions/{r.decision_id}",
            r.sql_decision,
            f"{ds}/decisions/{r.decision_id}.json",
            current=True,
        ),
        Scenario(
            "decisions ?regulator_id&compliance",
            f"{api}/decisions?{q({'regulator_id': r.regulator_id, 'compliance': r.compliance})}",
            r.sql_decisions_filtered,
            f"{ds}/decisions.json?{q(newest | {'compliance': r.compliance, '_where': in_regulator})}",
            note=f"regulator {r.regulator_id} ({r.regulator_decisions} decisions, the 10th busiest)",
            current=True,
        ),
        Scenario(
            "decisions ?regulator_id&compliance, small regulator",
            f"{api}/decisions?{q({'regulator_id': r.small_regulator_id, 'compliance': r.compliance})}",
            r.sql_decisions_small_regulator,
            f"{ds}/decisions.json?{q(newest | {'compliance': r.compliance, '_where': in_small})}",
            note=f"regulator {r.small_regulator_id} ({r.small_regulator_decisions} decisions, the median)",
            current=True,
        ),
        Scenario(
            "recommendations ?status&overdue",
            f"{api}/recommendations?{q({'status': r.status, 'overdue': 'true'})}",
            r.sql_recommendations_filtered,
            f"{ds}/recommendations.json?{q(common | {'status': r.status, 'due_on__lt': r.today})}",
            current=True,
        ),
        Scenario(
            "decisions, first page",
            f"{api}/decisions",
            r.sql_first_page,
            f"{ds}/decisions.json?{q(common | {'_sort_desc': 'issued_on'})}",
            current=True,
        ),
        Scenario(
            "decisions, deepest page",
            f"{api}/decisions?{q({'cursor': r.last_cursor})}",
            r.sql_last_page,
            f"{ds}/decisions.json?{q(newest | {'_next': f'{r.last_key[0]},{r.last_key[1]}'})}",
            note=f"the last of {-(-r.n_decisions // PAGE)} pages, newest first",
            current=True,
        ),
        Scenario(
            "decisions ?as_of",
            f"{api}/decisions?{q({'as_of': r.as_of})}",
            r.sql_as_of,
            f"{ds}/decisions.json?{q(newest | {'issued_on__lte': r.as_of})}",
            kind="as_of",
            note=f"as of {r.as_of}, two years before the newest decision",
        ),
    ]
    if f"{api}/search" in paths:
        fts = r.sql_search_fts if r.fts_tables else None
        out += [
            Scenario(
                "search, common word",
                f"{api}/search?{q({'q': SEARCH_WORD})}",
                fts,
                kind="search",
                note=f"/api/v1/search?q={SEARCH_WORD}",
            ),
            Scenario(
                "search, common + rare word",
                f"{api}/search?{q({'q': r.pair})}",
                r.sql_search_pair if r.fts_tables else None,
                kind="search",
                note=f"/api/v1/search?q={q({'q': r.pair})[2:]} ({r.rare_word}: the respondent of "
                f"{r.rare_decisions} decisions)",
            ),
        ]
    else:
        out.append(
            Scenario(
                "search (decision list ?q=)",
                f"{api}/decisions?{q({'q': SEARCH_WORD})}",
                r.sql_search_like,
                f"{ds}/decisions.json?{q(newest | {'_where': like})}",
                kind="search",
                note="no /api/v1/search on this build: the `q` filter of the decision list",
            )
        )
    out.append(
        Scenario("stats", f"{api}/stats" if f"{api}/stats" in paths else None, r.sql_stats, kind="stats")
    )
    out.append(
        Scenario(
            "countries",
            f"{api}/countries" if f"{api}/countries" in paths else None,
            None,
            kind="stats",
            note="/api/v1/countries (decisions and penalties by the regulators' country)",
        )
    )
    for name, path, sql in (
        ("decision page (HTML)", f"/decisions/{r.decision_id}", r.sql_decision_page),
        ("dashboard (HTML)", "/", r.sql_dashboard),
    ):
        status, ctype = probe(base + path)
        out.append(Scenario(name, path if status == 200 and "html" in ctype else None, sql, kind="html"))
    export = find_export(paths)
    out.append(
        Scenario(
            f"CSV export, {EXPORT_ROWS:,} rows",
            export,
            r.sql_export,
            f"{ds}/recommendations.csv?{q({'_stream': 'on', '_size': 'max'})}",
            kind="export",
            note=export or "",
        )
    )
    return out

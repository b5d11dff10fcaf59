"""Full-text search, done by the database, written once.

The `search_index` (see the migration `20261126_search_full_text_index`) holds one document
per decision, finding, recommendation, organisation (with its aliases), regulator (with its
short name) and case, kept in step by triggers in the transaction of each write: an FTS5
table on SQLite, a `tsvector` under a GIN index on PostgreSQL. Both ignore case and accents.

The `q` filter of every list (`matches()`) and the search endpoint (`search()`) go through
here. User text never reaches MATCH or to_tsquery as it is: it is parsed into words
(`app.fulltext`), and the database query is built from those, each word quoted. The syntax:

- words: every word must match (`clearview canada`);
- `"a phrase"`: the words next to each other, in order;
- `word*`: any word starting with `word` (also at the end of a phrase: `"facial recog*"`);
- `a OR b`: either (`OR` in capitals, between two terms);
- `-word`, `NOT word`: documents with it are left out.

Anything else (punctuation, `AND`, `NEAR`, `^`, `:`, brackets) only separates words; a query
with no word left finds nothing.
"""

import hashlib
import html
import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, ColumnElement, bindparam, false, select, text
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import InternalTraversal

from app.fulltext import folded_words, words
from app.models import Case, Decision, Finding, Organisation, Recommendation, Regulator
from app.schemas.common import Page
from app.schemas.search import SearchHit
from app.services.pagination import decode_cursor, encode_cursor
from app.vocab import SearchType

# A document's key in the index is `id * 8 + code`.
CODES: dict[SearchType, int] = {
    SearchType.decision: 1,
    SearchType.finding: 2,
    SearchType.recommendation: 3,
    SearchType.organisation: 4,
    SearchType.regulator: 5,
    SearchType.case: 6,
}
TYPES = {code: kind for kind, code in CODES.items()}

MAX_TERMS = 32
MAX_WORD = 100
# Added to the score of a document whose title (or one of whose names) is the query itself.
EXACT_BOOST = 1000.0
# Weights of the title and body columns: a word in a title counts ten times one in a body.
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
SNIPPET_WORDS = 24
TITLE_CHARS = 120
# Private-use characters marking matches in the database's snippet, turned into <mark>.
START, STOP = "\ue000", "\ue001"


# -- Parsing the user's query -------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One word, or a phrase of several; `prefix` makes its last word a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    """Every group must match (a group matches when any of its terms does); no excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    @property
    def words(self) -> str:
        """The searched words in order, for the exact-name boost."""
        return " ".join(w for group in self.groups for term in group for w in term.words)

    def fts5(self) -> str:
        """The query in FTS5 syntax: every word a quoted string."""

        def term(t: Term) -> str:
            return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

        required = " AND ".join("(" + " OR ".join(term(t) for t in g) + ")" for g in self.groups)
        if not self.excluded:
            return required
        return f"({required}) NOT (" + " OR ".join(term(t) for t in self.excluded) + ")"

    def tsquery(self) -> str:
        """The query in PostgreSQL's to_tsquery syntax: every word a quoted lexeme."""

        def term(t: Term) -> str:
            quoted = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in t.words]
            if t.prefix:
                quoted[-1] += ":*"
            return "(" + " <-> ".join(quoted) + ")"

        required = " & ".join("(" + " | ".join(term(t) for t in g) + ")" for g in self.groups)
        return required + "".join(f" & !{term(t)}" for t in self.excluded)


CHUNK = re.compile(r'(-?)"([^"]*)"?(\*?)|(\S+)')
# Operators of the databases' own syntaxes only separate words here. Other punctuation
# inside a chunk (`2021-001`, `priv.gc.ca`, `Commissioner's`) joins its words into a phrase,
# as the databases' tokenizers split them in the text.
OPERATORS = re.compile(r"[()\[\]{}:^,;+!&|<>=~@]")


def parse(q: str | None) -> Query:
    """The terms of a user's query (see the module's docstring); never fails."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = pending_not = False
    count = 0
    for match in CHUNK.finditer(OPERATORS.sub(" ", (q or "")[:500])):
        negate, phrase, star, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                pending_or = bool(groups)
                continue
            if bare == "AND":
                continue
            if bare == "NOT":
                pending_not = True
                continue
            negate = "-" if bare.startswith("-") else ""
            star = "*" if bare.endswith("*") else ""
            phrase = bare
        found = tuple(w[:MAX_WORD] for w in words(phrase))
        if not found or count >= MAX_TERMS:
            continue
        count += 1
        term = Term(found, prefix=bool(star))
        if negate or pending_not:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = pending_not = False
    return Query(tuple(tuple(g) for g in groups), tuple(excluded))


# -- The `q` filter of the lists ------------------------------------------------------------


class _Matching(ColumnElement[bool]):
    """`id_column IN (the ids of the documents of one type matching the query)`, per dialect."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("id_column", InternalTraversal.dp_clauseelement),
        ("code", InternalTraversal.dp_plain_obj),
        ("fts5", InternalTraversal.dp_clauseelement),
        ("tsquery", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, id_column: ColumnElement[int], code: int, query: Query) -> None:
        self.id_column = id_column
        self.code = code
        self.fts5 = bindparam("fts5_query", query.fts5(), unique=True)
        self.tsquery = bindparam("ts_query", query.tsquery(), unique=True)


@compiles(_Matching)
def _matching_default(element: _Matching, compiler: Any, **kw: Any) -> str:
    raise CompileError(f"full-text search is not available on {compiler.dialect.name}")


@compiles(_Matching, "sqlite")
def _matching_sqlite(element: _Matching, compiler: Any, **kw: Any) -> str:
    return (
        f"{compiler.process(element.id_column, **kw)} IN (SELECT rowid >> 3 FROM search_index "
        f"WHERE search_index MATCH {compiler.process(element.fts5, **kw)} AND (rowid & 7) = {element.code})"
    )


@compiles(_Matching, "postgresql")
def _matching_postgresql(element: _Matching, compiler: Any, **kw: Any) -> str:
    return (
        f"{compiler.process(element.id_column, **kw)} IN (SELECT doc_id >> 3 FROM search_index "
        f"WHERE document @@ to_tsquery('findings_search', {compiler.process(element.tsquery, **kw)}) "
        f"AND (doc_id & 7) = {element.code})"
    )


def matches(q: str | None, kind: SearchType, id_column: Any) -> ColumnElement[bool] | None:
    """A clause true for the records of `kind` (their ids in `id_column`) that `q` finds.

    None where there is no `q` (no filter); always false where `q` holds no word to look for.
    """
    if q is None or not q.strip():
        return None
    query = parse(q)
    if query.empty:
        return false()
    return _Matching(id_column, CODES[kind], query)


# -- The search endpoint --------------------------------------------------------------------


def _score(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("not a score")
    return float(value)


def _page_sql(dialect: str, codes: list[int], after: tuple[float, int] | None) -> str:
    kinds = ", ".join(str(c) for c in codes)
    if dialect == "sqlite":
        inner = (
            "SELECT rowid AS doc_id, "
            f"-bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT}, 0.0) "
            f"+ CASE WHEN findings_search_exact(exact, :words) THEN {EXACT_BOOST} ELSE 0.0 END AS score "
            f"FROM search_index WHERE search_index MATCH :fts5 AND (rowid & 7) IN ({kinds})"
        )
    elif dialect == "postgresql":
        weights = f"{BODY_WEIGHT / TITLE_WEIGHT}, 0.2, 0.4, 1.0"
        inner = (
            f"SELECT s.doc_id, ts_rank('{{{weights}}}', s.document, q.query, 1)::float8 "
            f"+ CASE WHEN findings_search_exact(s.exact, q.words) THEN {EXACT_BOOST}::float8 "
            "ELSE 0::float8 END AS score "
            "FROM search_index s, (SELECT to_tsquery('findings_search', :tsquery) AS query, "
            "to_tsvector('findings_search', :words) AS words) q "
            f"WHERE s.document @@ q.query AND (s.doc_id & 7) IN ({kinds})"
        )
    else:
        raise CompileError(f"full-text search is not available on {dialect}")
    where = " WHERE score < :score OR (score = :score AND doc_id > :doc_id)" if after else ""
    return f"SELECT doc_id, score FROM ({inner}) hits{where} ORDER BY score DESC, doc_id LIMIT :limit"


def _snippets(session: Session, dialect: str, query: Query, doc_ids: list[int]) -> dict[int, str]:
    if not doc_ids:
        return {}
    ids = ", ".join(str(i) for i in doc_ids)
    if dialect == "sqlite":
        sql = (
            f"SELECT rowid, snippet(search_index, -1, :start, :stop, '…', {SNIPPET_WORDS}) "
            f"FROM search_index WHERE search_index MATCH :fts5 AND rowid IN ({ids})"
        )
        params: dict[str, Any] = {"start": START, "stop": STOP, "fts5": query.fts5()}
    else:
        sql = (
            "SELECT s.doc_id, ts_headline('findings_search', "
            "CASE WHEN s.body <> '' AND to_tsvector('findings_search', findings_search_text(s.body)) "
            "@@ q.query THEN s.body ELSE s.title END, q.query, :options) "
            "FROM search_index s, (SELECT to_tsquery('findings_search', :tsquery) AS query) q "
            f"WHERE s.doc_id IN ({ids})"
        )
        params = {
            "tsquery": query.tsquery(),
            "options": f'StartSel="{START}", StopSel="{STOP}", MaxWords={SNIPPET_WORDS}, '
            'MinWords=12, ShortWord=0, MaxFragments=1, FragmentDelimiter=" … "',
        }
    return {doc_id: marked_html(s or "") for doc_id, s in session.execute(text(sql), params)}


def marked_html(marked: str) -> str:
    """The database's snippet as HTML: its text escaped, each match in <mark>...</mark>.

    The marks are always balanced, even where the text itself holds a marker character.
    """
    out: list[str] = []
    open_ = False
    for part in re.split(f"([{START}{STOP}])", marked):
        if part == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(html.escape(part))
    if open_:
        out.append("</mark>")
    return "".join(out)


def _short(value: str) -> str:
    return textwrap.shorten(value, TITLE_CHARS, placeholder=" …")


Key = tuple[SearchType, int]


def _titles(session: Session, keys: list[Key]) -> dict[Key, tuple[str, int | None]]:
    """The title of each hit, and the decision of a finding or recommendation."""
    wanted: dict[SearchType, list[int]] = {}
    for kind, id in keys:
        wanted.setdefault(kind, []).append(id)
    found: dict[Key, tuple[str, int | None]] = {}
    queries = {
        SearchType.decision: select(Decision.id, Decision.title, Decision.id),
        SearchType.finding: select(Finding.id, Finding.text, Finding.decision_id),
        SearchType.recommendation: select(Recommendation.id, Recommendation.text, Recommendation.decision_id),
        SearchType.organisation: select(Organisation.id, Organisation.name, None),
        SearchType.regulator: select(Regulator.id, Regulator.name, None),
        SearchType.case: select(Case.id, Case.title, None),
    }
    for kind, ids in wanted.items():
        stmt = queries[kind]
        id_column = stmt.selected_columns[0]
        for id, title, decision_id in session.execute(stmt.where(id_column.in_(ids))):
            in_decision = decision_id if kind in (SearchType.finding, SearchType.recommendation) else None
            found[(kind, id)] = (_short(title), in_decision)
    return found


def search(
    session: Session,
    *,
    q: str | None,
    types: list[SearchType] | None = None,
    limit: int,
    cursor: str | None = None,
) -> Page[SearchHit]:
    """The records `q` finds, best match first, a page at a time.

    The order is by score (an exact title or name first, then the database's relevance,
    titles weighing more than bodies), then by document key; the cursor holds the last
    hit's (score, key), so a page starts right after the previous one.
    """
    query = parse(q)
    if query.empty:
        return Page(items=[], next_cursor=None)
    codes = sorted(CODES[t] for t in set(types or CODES))
    # A cursor belongs to its query and types: another search refuses it instead of
    # starting at a meaningless place.
    sort = "rank-" + hashlib.sha256(f"{query.fts5()}|{codes}".encode()).hexdigest()[:12]
    after = decode_cursor(cursor, sort, _score) if cursor else None
    dialect = session.get_bind().dialect.name
    params: dict[str, Any] = {"limit": limit + 1}
    if dialect == "sqlite":
        params |= {"fts5": query.fts5(), "words": folded_words(query.words)}
    else:
        params |= {"tsquery": query.tsquery(), "words": query.words}
    if after is not None:
        params |= {"score": after[0], "doc_id": after[1]}
    rows = session.execute(text(_page_sql(dialect, codes, after)), params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    keys = [(TYPES[doc_id & 7], doc_id >> 3) for doc_id, _ in rows]
    titles = _titles(session, keys)
    snippets = _snippets(session, dialect, query, [doc_id for doc_id, _ in rows])
    items = []
    for (doc_id, _), (kind, id) in zip(rows, keys, strict=True):
        if (kind, id) not in titles:
            continue
        title, decision_id = titles[(kind, id)]
        items.append(
            SearchHit(
                type=kind, id=id, title=title, snippet=snippets.get(doc_id, ""), decision_id=decision_id
            )
        )
    next_cursor = encode_cursor(sort, (rows[-1][1], rows[-1][0])) if more else None
    return Page(items=items, next_cursor=next_cursor)

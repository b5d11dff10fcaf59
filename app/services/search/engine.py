"""Full-text search, done by the database, written once.

The `search_index` (see the migration `20261126_search_full_text_index`) holds one document
per decision, finding, recommendation, organisation (with its aliases), regulator (with its
short name) and case, kept in step by triggers in the transaction of each write: an FTS5
table on SQLite, a `tsvector` under a GIN index on PostgreSQL. Both ignore case and accents.

The `q` filter of every list (`search_query.matches()`) and the search endpoint (`search()`)
go through here; the user's text is parsed into a query, and the syntax documented, in
`app.services.search.query`.

The search endpoint answers in tiers (see `search()`): exact names (looked up in the names
index of the migration `20261201_search_exact_names`), then title matches, then body matches,
each ranked by relevance over its newest `RANKED` matches only, so that a common word costs
no more than a rare one.
"""

import datetime as dt
import hashlib
import html
import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, literal, null, select, text
from sqlalchemy.exc import CompileError
from sqlalchemy.orm import Session

from app.models import (
    Case,
    Decision,
    Document,
    DocumentPage,
    Finding,
    Organisation,
    Recommendation,
    Regulator,
)
from app.schemas.search import SearchHit, SearchPage
from app.services.search.query import CODES, FRENCH, TYPES, Query, parse, ts_query
from app.services.shared.pagination import decode_cursor, encode_cursor
from app.vocab import DatePrecision, SearchType

# The query of a statement, bound as :match and :match_fr, as PostgreSQL matches it.
MATCH = ts_query(":match", ":match_fr")

# Weights of the title and body columns: a word in a title counts ten times one in a body.
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
SNIPPET_WORDS = 24
TITLE_CHARS = 120
# Private-use characters marking matches in the database's snippet, turned into <mark>.
START, STOP = "\ue000", "\ue001"


def _score(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("not a score")
    return float(value)


# The tiers of the answer, best first: exact names, then matches in a title, then the rest.
# A score is the tier's base plus, for the RANKED newest matches of the tier, their
# relevance (always above 0 and far below the gap between two bases); older matches of a
# big tier follow, newest first, at the base itself.
BASES = (3e6, 2e6, 1e6)
RANKED = 200
BM25 = f"-bm25(search_index, {TITLE_WEIGHT}, {BODY_WEIGHT}, 0.0)"
# PostgreSQL's weights {D, C, B, A}: a body's words and French stems, a title's French stems and words.
TS_WEIGHTS = f"{BODY_WEIGHT / TITLE_WEIGHT}, {BODY_WEIGHT / TITLE_WEIGHT}, 1.0, 1.0"
# Glued to the first and last word of each name in `search_names` (see the migration
# 20261201_search_exact_names), so that the first and last words of an exact-name phrase
# are rare words, quick to look up, however common the name's words.
NAME_START, NAME_END = "xqxb", "xqxe"

Hit = tuple[int, float]  # (document key, score)


def name_phrases(name: tuple[str, ...]) -> str:
    """The FTS5 query finding the names that are `name`, word for word. A name starting or
    ending with punctuation has the marker as a word of its own."""
    first, last = name[0], name[-1]
    phrases = set()
    for start in (NAME_START + first, NAME_START + " " + first):
        for end in (last + NAME_END, last + " " + NAME_END):
            one_word = len(name) == 1
            words = start.removesuffix(first) + end if one_word else " ".join((start, *name[1:-1], end))
            phrases.add('"' + words + '"')
    return " OR ".join(sorted(phrases))


class _Search:
    """One search's queries, per dialect."""

    def __init__(self, session: Session, query: Query, codes: list[int]) -> None:
        self.session = session
        self.query = query
        self.kinds = ", ".join(str(c) for c in codes)
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        if not self.sqlite and session.get_bind().dialect.name != "postgresql":
            raise CompileError(f"full-text search is not available on {session.get_bind().dialect.name}")
        if self.sqlite:
            self.matches = (query.fts5(), query.fts5_title(), query.fts5_body())
        else:
            self.matches = (query.tsquery(), query.tsquery_title(), query.tsquery_body())
            self.french = (query.tsquery(FRENCH), query.tsquery_title(FRENCH), query.tsquery_body(FRENCH))

    def _match(self, tier: int) -> dict[str, str]:
        """The parameters of a tier's query (0: all, 1: in a title, 2: elsewhere)."""
        if self.sqlite:
            return {"match": self.matches[tier]}
        return {"match": self.matches[tier], "match_fr": self.french[tier]}

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        return list(self.session.execute(text(sql), params).all())

    def named(self) -> list[int]:
        """Documents whose name is the query (whether the query finds them is checked later)."""
        name = self.query.name
        if not name:
            return []
        if self.sqlite:
            sql = (
                "SELECT rowid FROM search_names WHERE search_names MATCH :phrases "
                f"AND (rowid & 7) IN ({self.kinds}) ORDER BY rowid DESC LIMIT {RANKED}"
            )
            return [doc_id for (doc_id,) in self._rows(sql, phrases=name_phrases(name))]
        sql = (
            "SELECT s.doc_id FROM search_index s "
            "WHERE s.exact IS NOT NULL AND findings_search_names(s.exact) "
            "@> ARRAY[to_tsvector('findings_search', findings_search_text(:words))::text] "
            f"AND (s.doc_id & 7) IN ({self.kinds}) ORDER BY s.doc_id DESC LIMIT {RANKED}"
        )
        return [doc_id for (doc_id,) in self._rows(sql, words=" ".join(name))]

    def newest(self, tier: int) -> list[Hit]:
        """The RANKED + 1 newest matches of a tier (1: in a title, 2: elsewhere; 0: all of
        them) with their relevance, in one statement (bm25 reads its statistics once per
        statement)."""
        if self.sqlite:
            sql = (
                f"SELECT rowid, {BM25} FROM search_index WHERE search_index MATCH :match "
                f"AND (rowid & 7) IN ({self.kinds}) ORDER BY rowid DESC LIMIT {RANKED + 1}"
            )
        else:
            sql = (
                f"SELECT s.doc_id, ts_rank('{{{TS_WEIGHTS}}}', s.document, q.query, 1)::float8 "
                f"FROM search_index s, (SELECT {MATCH} AS query) q "
                f"WHERE s.document @@ q.query AND (s.doc_id & 7) IN ({self.kinds}) "
                f"ORDER BY s.doc_id DESC LIMIT {RANKED + 1}"
            )
        return [(doc_id, _positive(score)) for doc_id, score in self._rows(sql, **self._match(tier))]

    def titled(self, since: int) -> set[int]:
        """The documents from key `since` up that the query finds in their title alone."""
        if self.sqlite:
            sql = (
                "SELECT rowid FROM search_index WHERE search_index MATCH :match "
                f"AND (rowid & 7) IN ({self.kinds}) AND rowid >= :since"
            )
        else:
            sql = (
                "SELECT s.doc_id FROM search_index s "
                f"WHERE s.document @@ {MATCH} "
                f"AND (s.doc_id & 7) IN ({self.kinds}) AND s.doc_id >= :since"
            )
        return {doc_id for (doc_id,) in self._rows(sql, **self._match(1), since=since)}

    def relevance(self, doc_ids: list[int]) -> dict[int, float]:
        """The relevance of each of a few `doc_ids` that the query finds."""
        if not doc_ids:
            return {}
        ids = ", ".join(str(i) for i in sorted(doc_ids))
        if self.sqlite:
            sql = (
                f"SELECT rowid, {BM25} FROM search_index WHERE search_index MATCH :match AND rowid IN ({ids})"
            )
        else:
            sql = (
                f"SELECT s.doc_id, ts_rank('{{{TS_WEIGHTS}}}', s.document, q.query, 1)::float8 "
                f"FROM search_index s, (SELECT {MATCH} AS query) q "
                f"WHERE s.doc_id IN ({ids}) AND s.document @@ q.query"
            )
        return {doc_id: _positive(score) for doc_id, score in self._rows(sql, **self._match(0))}

    def older(self, tier: int, before: int, limit: int) -> list[int]:
        """Matches of a tier with a key below `before`, newest first (not ranked)."""
        if self.sqlite:
            sql = (
                "SELECT rowid FROM search_index WHERE search_index MATCH :match "
                f"AND (rowid & 7) IN ({self.kinds}) AND rowid < :before ORDER BY rowid DESC LIMIT :limit"
            )
        else:
            sql = (
                "SELECT s.doc_id FROM search_index s "
                f"WHERE s.document @@ {MATCH} "
                f"AND (s.doc_id & 7) IN ({self.kinds}) AND s.doc_id < :before "
                "ORDER BY s.doc_id DESC LIMIT :limit"
            )
        return [doc_id for (doc_id,) in self._rows(sql, **self._match(tier), before=before, limit=limit)]


def _positive(score: Any) -> float:
    """A relevance above 0 and below the gap between tiers."""
    return min(max(float(score or 0.0), 0.0), 1e5) + 1e-6


def _order(hit: Hit) -> tuple[float, int]:
    return (-hit[1], -hit[0])


def _page(search: "_Search", after: Hit | None, want: int, *, few: bool) -> list[Hit]:
    """The first `want` hits after the cursor's (key, score), in order of (score, key) down
    (`few`: the query finds at most RANKED records, all ranked at once)."""

    def wanted(hit: Hit) -> bool:
        return after is None or (hit[1], hit[0]) < (after[1], after[0])

    named = search.named()
    if few:
        # Few matches (a rare word, or a common one with a rare one): all ranked, read at once.
        everything = search.newest(0)
        titled = search.titled(min(doc_id for doc_id, _ in everything)) if everything else set()
        hits = [
            (doc_id, BASES[0 if doc_id in named else 1 if doc_id in titled else 2] + score)
            for doc_id, score in everything
        ]
        return sorted(filter(wanted, hits), key=_order)[:want]
    relevance = search.relevance(named)
    exact = set(relevance)
    out: list[Hit] = sorted(
        (hit for hit in ((doc_id, BASES[0] + score) for doc_id, score in relevance.items()) if wanted(hit)),
        key=_order,
    )
    for tier in (1, 2):
        if len(out) >= want:
            break
        base = BASES[tier]
        if after is not None and after[1] < base:
            continue  # the cursor is past this tier
        newest = search.newest(tier)
        ranked = [(doc_id, base + score) for doc_id, score in newest[:RANKED]]
        out.extend(sorted((hit for hit in ranked if hit[0] not in exact and wanted(hit)), key=_order))
        if len(newest) <= RANKED:
            continue  # the whole tier was ranked
        # The tier is bigger than RANKED: its older matches follow, newest first.
        before = ranked[-1][0]
        if after is not None and after[1] == base:
            before = min(before, after[0])
        while len(out) < want:
            chunk = search.older(tier, before, want - len(out) + len(exact))
            if not chunk:
                break
            out.extend((doc_id, base) for doc_id in chunk if doc_id not in exact)
            before = chunk[-1]
    return out[:want]


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
            f"FROM search_index s, (SELECT {MATCH} AS query) q "
            f"WHERE s.doc_id IN ({ids})"
        )
        params = {
            "match": query.tsquery(),
            "match_fr": query.tsquery(FRENCH),
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


@dataclass(frozen=True)
class Found:
    """What a hit shows besides its snippet: its title, the record it names (a document page's
    document), the decision of a finding or recommendation, a document page's number."""

    title: str
    id: int
    decision_id: int | None = None
    page: int | None = None
    issued_on: dt.date | None = None
    precision: str | None = None


def _titles(session: Session, keys: list[Key]) -> dict[Key, Found]:
    """The title of each hit, and what it names: the decision of a finding or recommendation,
    the document and page of a document's page."""
    wanted: dict[SearchType, list[int]] = {}
    for kind, id in keys:
        wanted.setdefault(kind, []).append(id)
    found: dict[Key, Found] = {}
    # Each: the key's id, the title, the decision, the record named (when not the key's), the page.
    # The day of the decision a hit is or belongs to, and its precision (none for the others).
    undated = (null(), null())
    dated = (Decision.issued_on, Decision.issued_on_precision)
    queries = {
        SearchType.decision: select(Decision.id, Decision.title, null(), null(), null(), *dated),
        SearchType.finding: select(
            Finding.id, Finding.text, Finding.decision_id, null(), null(), *dated
        ).join(Decision, Decision.id == Finding.decision_id),
        SearchType.recommendation: select(
            Recommendation.id, Recommendation.text, Recommendation.decision_id, null(), null(), *dated
        ).join(Decision, Decision.id == Recommendation.decision_id),
        SearchType.organisation: select(Organisation.id, Organisation.name, null(), null(), null(), *undated),
        SearchType.regulator: select(Regulator.id, Regulator.name, null(), null(), null(), *undated),
        SearchType.case: select(Case.id, Case.title, null(), null(), null(), *undated),
        SearchType.document: select(
            DocumentPage.id,
            func.coalesce(Document.title, literal("Document ") + cast(Document.id, String)),
            null(),
            Document.id,
            DocumentPage.number,
            *undated,
        ).join(Document, Document.id == DocumentPage.document_id),
    }
    for kind, ids in wanted.items():
        stmt = queries[kind]
        id_column = stmt.selected_columns[0]
        for id, title, decision_id, named, page, issued_on, precision in session.execute(
            stmt.where(id_column.in_(ids))
        ):
            found[(kind, id)] = Found(
                _short(title), named if named is not None else id, decision_id, page, issued_on, precision
            )
    return found


def search(
    session: Session,
    *,
    q: str | None,
    types: list[SearchType] | None = None,
    limit: int,
    cursor: str | None = None,
) -> SearchPage:
    """The records `q` finds, best match first, a page at a time, and how many it finds (up
    to RANKED; beyond, "at least" that many: a common word's matches are not counted further).

    The order is by tier: records whose title or name is the query, then those the query
    finds in their title, then the rest. Within a tier the newest RANKED matches come by the
    database's relevance (bm25; ts_rank on PostgreSQL), and the older ones of a big tier
    after them, newest first: no query ranks more than a bounded number of matches, however
    common its words. The cursor holds the last hit's (score, key), so a page starts right
    after the previous one.
    """
    query = parse(q)
    if query.empty:
        return SearchPage(items=[], next_cursor=None)
    codes = sorted(CODES[t] for t in set(types or CODES))
    # A cursor belongs to its query and types: another search refuses it instead of
    # starting at a meaningless place.
    sort = "tier-" + hashlib.sha256(f"{query.fts5()}|{codes}".encode()).hexdigest()[:12]
    after = decode_cursor(cursor, sort, _score) if cursor else None
    dialect = session.get_bind().dialect.name
    found = _Search(session, query, codes)
    matches = len(found.older(0, 1 << 62, RANKED + 1))
    rows = _page(found, (after[1], after[0]) if after else None, limit + 1, few=matches <= RANKED)
    more = len(rows) > limit
    rows = rows[:limit]
    keys = [(TYPES[doc_id & 7], doc_id >> 3) for doc_id, _ in rows]
    titles = _titles(session, keys)
    snippets = _snippets(session, dialect, query, [doc_id for doc_id, _ in rows])
    items = []
    for (doc_id, _), (kind, id) in zip(rows, keys, strict=True):
        if (kind, id) not in titles:
            continue
        hit = titles[(kind, id)]
        items.append(
            SearchHit(
                type=kind,
                id=hit.id,
                title=hit.title,
                snippet=snippets.get(doc_id, ""),
                decision_id=hit.decision_id,
                page=hit.page,
                issued_on=hit.issued_on,
                issued_on_precision=DatePrecision(hit.precision) if hit.precision else None,
            )
        )
    next_cursor = encode_cursor(sort, (rows[-1][1], rows[-1][0])) if more else None
    return SearchPage(
        items=items,
        next_cursor=next_cursor,
        total=min(matches, RANKED),
        total_is_lower_bound=matches > RANKED,
    )

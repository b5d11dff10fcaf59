"""The user's search text as a query, and the `q` filter of every list.

User text never reaches MATCH or to_tsquery as it is: it is parsed into words
(`app.fulltext`), and the database query is built from those, each word quoted. The syntax:

- words: every word must match (`clearview canada`);
- `"a phrase"`: the words next to each other, in order;
- `word*`: any word starting with `word` (also at the end of a phrase: `"facial recog*"`);
- `a OR b`: either (`OR` in capitals, between two terms);
- `-word`, `NOT word`: documents with it are left out.

Anything else (punctuation, `AND`, `NEAR`, `^`, `:`, brackets) only separates words; a query
with no word left finds nothing.

A query's cost is bounded: a term repeated counts once (`a* a* a*` is `a*`), and a query of
more than `MAX_TERMS` different terms, or more than `MAX_PREFIXES` different prefixes (each of
which the index expands to every word it starts), is refused (`Invalid`, a 422 naming `q`)
rather than run: 32 `a*` terms cost 7 s of CPU at 4,000 decisions.
"""

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Boolean, ColumnElement, bindparam, false
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from app.errors import FieldError, Invalid
from app.fulltext import words
from app.vocab import SearchType


def ts_query(written: str, french: str) -> str:
    """SQL for a query as PostgreSQL matches it, from its two to_tsquery texts (bound
    parameters): its words as written (accents and case aside, the `findings_search`
    configuration), or as French stems among the French text's (`findings_french`:
    « surveillée » finds « surveillance »). A document holds both, apart by their weights."""
    return f"(to_tsquery('findings_search', {written}) || to_tsquery('findings_french', {french}))"


# The weights of a PostgreSQL document's words (title, anywhere): as written, in its title A
# and its body D; as French stems of its French text, in its title B and its body C.
WRITTEN = ("A", "AD")
FRENCH = ("B", "BC")


# A document's key in the index is `id * 8 + code`.
CODES: dict[SearchType, int] = {
    SearchType.decision: 1,
    SearchType.finding: 2,
    SearchType.recommendation: 3,
    SearchType.organisation: 4,
    SearchType.regulator: 5,
    SearchType.case: 6,
    SearchType.document: 7,  # a page of an archived document (`document_pages`)
}
TYPES = {code: kind for kind, code in CODES.items()}

MAX_TERMS = 32
MAX_PREFIXES = 4
MAX_WORD = 100


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

    @property
    def name(self) -> tuple[str, ...] | None:
        """The words a record's name must be, word for word, to rank first; None for a query
        that names no single name (`a OR b`, a prefix)."""
        if any(len(g) > 1 or g[0].prefix for g in self.groups):
            return None
        return tuple(w for g in self.groups for w in g[0].words)

    @staticmethod
    def _fts5_term(t: Term) -> str:
        return '"' + " ".join(t.words) + '"' + ("*" if t.prefix else "")

    def _fts5_required(self) -> str:
        return " AND ".join("(" + " OR ".join(self._fts5_term(t) for t in g) + ")" for g in self.groups)

    def _fts5_excluded(self) -> str:
        return " OR ".join(self._fts5_term(t) for t in self.excluded)

    def fts5(self) -> str:
        """The query in FTS5 syntax: every word a quoted string."""
        required = self._fts5_required()
        if not self.excluded:
            return required
        return f"({required}) NOT ({self._fts5_excluded()})"

    def fts5_title(self) -> str:
        """Documents the query finds in their title alone."""
        title = f"title : ({self._fts5_required()})"
        return f"({title}) NOT ({self._fts5_excluded()})" if self.excluded else title

    def fts5_body(self) -> str:
        """Documents the query finds, but not in their title alone."""
        left_out = f"(title : ({self._fts5_required()}))"
        if self.excluded:
            left_out += f" OR ({self._fts5_excluded()})"
        return f"({self._fts5_required()}) NOT ({left_out})"

    @staticmethod
    def _ts_term(t: Term, weight: str = "") -> str:
        """A word or phrase as a tsquery; `weight` ("A") keeps it to the title."""
        quoted = []
        for i, w in enumerate(t.words):
            label = ("*" if t.prefix and i == len(t.words) - 1 else "") + weight
            lexeme = "'" + w.replace("\\", "\\\\").replace("'", "''") + "'"
            quoted.append(lexeme + (":" + label if label else ""))
        return "(" + " <-> ".join(quoted) + ")"

    def _ts_required(self, weight: str = "") -> str:
        return " & ".join("(" + " | ".join(self._ts_term(t, weight) for t in g) + ")" for g in self.groups)

    def _ts_excluded(self) -> str:
        return "".join(f" & !{self._ts_term(t)}" for t in self.excluded)

    def tsquery(self, weights: tuple[str, str] = WRITTEN) -> str:
        """The query in PostgreSQL's to_tsquery syntax: every word a quoted lexeme, among the
        words of `weights` (the words as written, or the French stems)."""
        return self._ts_required(weights[1]) + self._ts_excluded()

    def tsquery_title(self, weights: tuple[str, str] = WRITTEN) -> str:
        """Documents the query finds in their title alone."""
        return "(" + self._ts_required(weights[0]) + ")" + self._ts_excluded()

    def tsquery_body(self, weights: tuple[str, str] = WRITTEN) -> str:
        """Documents the query finds, but not in their title alone."""
        return f"({self._ts_required(weights[1])}) & !({self._ts_required(weights[0])})" + self._ts_excluded()


CHUNK = re.compile(r'(-?)"([^"]*)"?(\*?)|(\S+)')
# Operators of the databases' own syntaxes only separate words here. Other punctuation
# inside a chunk (`2021-001`, `priv.gc.ca`, `Commissioner's`) joins its words into a phrase,
# as the databases' tokenizers split them in the text.
OPERATORS = re.compile(r"[()\[\]{}:^,;+!&|<>=~@]")


def parse(q: str | None) -> Query:
    """The terms of a user's query (see the module's docstring); `Invalid` (naming `q`) for a
    query of more different terms or prefixes than the limits."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = pending_not = False
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
        if not found:
            continue
        term = Term(found, prefix=bool(star))
        if negate or pending_not:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = pending_not = False
    # A term or a group said twice means what it means once.
    unique_groups = tuple(dict.fromkeys(tuple(dict.fromkeys(g)) for g in groups))
    unique_excluded = tuple(dict.fromkeys(excluded))
    _check_size([*(t for g in unique_groups for t in g), *unique_excluded])
    return Query(unique_groups, unique_excluded)


def _check_size(terms: list[Term]) -> None:
    different = set(terms)
    prefixes = {t for t in different if t.prefix}
    problems = []
    if len(different) > MAX_TERMS:
        problems.append(f"has {len(different)} different terms; at most {MAX_TERMS} are searched at once")
    if len(prefixes) > MAX_PREFIXES:
        problems.append(f"has {len(prefixes)} different prefixes (word*); at most {MAX_PREFIXES}")
    if problems:
        raise Invalid(
            "The search is too big: it " + " and ".join(problems) + ".",
            [FieldError("q", "; ".join(problems), "too_many_terms")],
        )


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
        ("tsquery_fr", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, id_column: ColumnElement[int], code: int, query: Query) -> None:
        self.id_column = id_column
        self.code = code
        self.fts5: BindParameter[str] = bindparam("fts5_query", query.fts5(), unique=True)
        self.tsquery: BindParameter[str] = bindparam("ts_query", query.tsquery(), unique=True)
        self.tsquery_fr: BindParameter[str] = bindparam("ts_query_fr", query.tsquery(FRENCH), unique=True)


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
    written, french = compiler.process(element.tsquery, **kw), compiler.process(element.tsquery_fr, **kw)
    return (
        f"{compiler.process(element.id_column, **kw)} IN (SELECT doc_id >> 3 FROM search_index "
        f"WHERE document @@ {ts_query(written, french)} "
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

"""A source that lists one recommendation once per party that made it (the UN's Universal Periodic
Review: `109.3. Ratify CPED (Brazil, Chile);` is two rows, `From` Brazil and `From` Chile).

The mapping says how to fold such rows, and who made each:

    [recommendation]
    fold_by = ["text"]          rows of one decision, to one addressee, whose values of these
                                columns (of the file, or derived) are the same, blanks aside,
                                are one recommendation: the first row's, with its assessment
    [recommended_by]            the party each row names as having made it: an organisation's
    name = { column = "From", split = "|", map = "states", strict = true }
    kind = { value = "public_body" }
    country = { column = "From", map = "state_codes" }

Each folded row adds its party (once) to the recommendation's `recommended_by`; the report
counts the rows folded. A `split` name makes several parties of one row, each part read as if
the column held it alone (so that the other fields, such as the country, are read for it). A
row naming no party (an empty column, or a value the spec treats as missing) adds none. A
`fold_by` naming a column the file lacks is refused before anything is read.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.services.exchange.csv.mapping_spec import Spec

if TYPE_CHECKING:  # rows reads the mapping, which reads `fold_by` here
    from app.services.exchange.csv.rows import PlannedRow


def parse_fold_by(value: Any, bad: Callable[[str, str], None]) -> tuple[str, ...]:
    """`[recommendation] fold_by`: a column name or a list of them."""
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        bad("recommendation.fold_by", "a column name, or a list of them")
        return ()
    return tuple(names)


def key_of(row: dict[str, str], fold_by: tuple[str, ...]) -> tuple[str, ...] | None:
    """What a row is folded by (None: the mapping folds nothing)."""
    if not fold_by:
        return None
    return tuple(" ".join((row.get(c) or "").split()) for c in fold_by)


def party_rows(name: Spec, row: dict[str, str]) -> list[dict[str, str]]:
    """The row once for each party its `[recommended_by]` name gives (none for no value): with a
    `split` name, each part read as if the name's column held it alone."""
    raw = name.raw(row)
    if raw is None:
        return []
    if name.split is None or name.column is None:
        return [row]
    parts = [p.strip() for p in raw.split(name.split) if p.strip()]
    return [row | {name.column: part} for part in dict.fromkeys(parts)]


def fold(rows: list["PlannedRow"]) -> list["PlannedRow"]:
    """The planned rows with those of one recommendation folded into its first (see the
    module's docstring): each kept row lists the rows folded into it."""
    kept: list[PlannedRow] = []
    first: dict[tuple[Any, ...], PlannedRow] = {}
    for r in rows:
        if r.fold_key is None or r.rec is None:
            kept.append(r)
            continue
        key = (r.organisation, r.fold_key)
        if key not in first:
            first[key] = r
            kept.append(r)
            continue
        into = first[key]
        into.folded.append(r.number)
        into.recommended_by += [p for p in r.recommended_by if p not in into.recommended_by]
    return kept

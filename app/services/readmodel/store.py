"""The stored read model: each decision's current read document, kept in the database.

Over 450 lines, on purpose: the one mechanism that keeps the stored reads equal to the computed
ones (the hooks, the build, the refresh, the owners' listings, the names filled at read time)
is read in one place; tests/readmodel/ proves the equality.

`decision_documents` holds, for every decision, the JSON that `GET /api/v1/decisions/{id}`
answers without `as_of` (and that each item of the list answers), byte for byte, so that a
current read is one lookup and no assembly. Reads `as_of` a day still derive from the history.

- One definition: `build` makes the documents of some decisions from `decisions.read_many`,
  the computed read itself; the per-write refresh (`refresh`) and the full rebuild (`rebuild`,
  `findings rebuild-read-model`, the migration that made the table) both write what it makes.
- Documents know what built them: each carries the digest of the read schema (and of the
  way it is stored) that made it (`digest()`); `findings migrate` rewrites every document
  whose digest differs (`refresh_stale`), so a change to the read shape needs no migration
  that empties the table, and no one to remember a rebuild.
- One mechanism: after every flush, the decisions whose document the flush may change are
  noted on the session (the mapper hooks, `install`): a decision written or deleted; one whose parts
  (regulators, parties, findings, provisions, sources, tags, links) changed; the decision at
  the other end of a new, changed or removed link (its `related_by` and standing); the
  decisions linked to or from one whose reference, title or issue date changed; the decision
  of a recommendation created, deleted, moved or whose kept status changed (its counts and
  compliance), or of a payment obligation written at all (what was paid). Writes past the ORM
  (the bulk imports) note theirs with `touch` or `touch_all`. Before the commit
  (`_before_commit`) every noted document is rewritten once, in the same transaction as the
  change: both are kept or neither.
- Names fan out (a regulator may have 40,000 decisions), so they are not stored: a document
  holds slots where the names of its regulators and parties (and the regulators'
  jurisdictions) go, filled at read time from one statement for a whole page (`fill`). A
  rename rewrites no document. A slot is `\\x01R12\\x01` (regulator 12's name), `\\x01J12\\x01`
  (its jurisdiction) or `\\x01O7\\x01` (organisation 7's name): JSON text never holds a raw
  control character otherwise (it is escaped as `\\u0001`), so a slot cannot be confused with
  content (and, unlike NUL, PostgreSQL's text can hold it).
- Lists by owner and compliance: `decision_listings` holds, beside the documents and written
  with them, a row per (decision, regulator or party) with the decision's kept compliance and
  day, so that the page of one owner's decisions of one compliance is read in order from one
  index (`page`), instead of walking every decision of that compliance and probing each for
  the owner (3 ms of SQL for a regulator with 3,500 decisions at 200,000). A decision written
  past the app (no document yet) reads as computed by id and in the other lists, but is in
  these owner-and-compliance pages only once `findings rebuild-read-model` has run.
"""

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import cache
from itertools import chain
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json
from sqlalchemy import (
    BindParameter,
    Select,
    bindparam,
    delete,
    event,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Bundle, Session, attributes, object_session
from sqlalchemy.orm.session import SessionTransaction

from app.models import (
    DECISION_PARTS,
    Decision,
    DecisionDocument,
    DecisionListing,
    DecisionRelation,
    Organisation,
    Recommendation,
    Regulator,
)
from app.models.base import table_of
from app.schemas.decision import DecisionRead
from app.schemas.filters import DecisionFilter
from app.services.record import decisions
from app.services.shared.common import get_or_404
from app.services.shared.pagination import paginate
from app.vocab import RecommendationKind

_DIRTY = "documents.dirty"  # ids of decisions whose document is to be rewritten
_ALL = "documents.all"  # every document is to be rewritten
_LINKED = "documents.linked"  # ids of decisions whose reference, title or date changed
BATCH = 500

DOCUMENTS = table_of(DecisionDocument)
LISTINGS = table_of(DecisionListing)
DOCUMENT_OWNERS = table_of(Decision)
# What the API answers: the serializer FastAPI itself uses for a route's response model.
READ_JSON: TypeAdapter[DecisionRead] = TypeAdapter(DecisionRead)
SLOT = "\x01"
# What stands in a name while the document is serialized: the slot's key behind a nonce, so
# that no text of the record, whatever it holds, can pass for one.
NONCE = secrets.token_hex(8)
SLOT_TOKEN = re.compile(rf'"\\u0001{NONCE}([RJO][0-9]+)\\u0001"')


# The way a read becomes a stored document (the slots below): bump it when that changes
# without the read schema changing, so that the documents are rebuilt.
STORAGE_FORMAT = 1


@cache
def digest() -> str:
    """The digest of the read schema and of the storage format: what a document built now
    carries. (Cached: the schema is fixed once the code is loaded; a test that changes it
    clears the cache.)"""
    schema = json.dumps(READ_JSON.json_schema(by_alias=True, mode="serialization"), sort_keys=True)
    return hashlib.sha256(f"{STORAGE_FORMAT}\n{schema}".encode()).hexdigest()[:16]


# -- Making documents (the one definition) -------------------------------------------------


def _placeholder(key: str) -> str:
    return f"{SLOT}{NONCE}{key}{SLOT}"


def _slot(key: str) -> str:
    return f"{SLOT}{key}{SLOT}"


def template(read: DecisionRead) -> str:
    """The stored form of a read: its JSON, with slots for the names read apart."""
    slotted = read.model_copy(
        update={
            "regulators": [
                r.model_copy(
                    update={
                        "name": _placeholder(f"R{r.regulator_id}"),
                        "jurisdiction": _placeholder(f"J{r.regulator_id}"),
                    }
                )
                for r in read.regulators
            ],
            "organisations": [
                o.model_copy(update={"name": _placeholder(f"O{o.organisation_id}")})
                for o in read.organisations
            ],
        }
    )
    text = READ_JSON.dump_json(slotted, by_alias=True).decode()
    body, slots = SLOT_TOKEN.subn(lambda m: _slot(m.group(1)), text)
    assert slots == 2 * len(read.regulators) + len(read.organisations), "a slot was not found"
    return body


def _reads(session: Session, ids: Sequence[int]) -> list[DecisionRead]:
    if not ids:
        return []
    found = list(
        session.scalars(
            select(Decision).where(Decision.id.in_(ids)).execution_options(populate_existing=True)
        )
    )
    return decisions.read_many(session, found, as_of=None)


def build(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """The (version, document) of each of these decisions that exists, as it reads now."""
    return {read.id: (read.version, template(read)) for read in _reads(session, ids)}


def _listings(read: DecisionRead) -> list[dict[str, Any]]:
    """The decision's place in its regulators' and parties' lists (a party once, whatever its
    roles), from its read: its compliance there is the kept one."""
    regulators = [("R", r.regulator_id) for r in read.regulators]
    owners = dict.fromkeys(regulators + [("O", o.organisation_id) for o in read.organisations])
    return [
        {"owner": owner, "owner_id": owner_id, "compliance": read.compliance.value}
        | {"issued_on": read.issued_on, "decision_id": read.id}
        for owner, owner_id in owners
    ]


def _write(session: Session, ids: Sequence[int]) -> int:
    """Rewrite the documents of these decisions (dropping those of decisions gone)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Under READ COMMITTED, another transaction rewriting one of these documents may have
        # built it before this one committed: wait for it (in id order) before building, so
        # that the statements below see what it committed and the later document wins whole.
        # (SQLite runs one writer at a time: nothing to wait for.)
        connection.execute(
            select(DOCUMENT_OWNERS.c.id)
            .where(DOCUMENT_OWNERS.c.id.in_(ids))
            .order_by(DOCUMENT_OWNERS.c.id)
            .with_for_update()
        )
    reads = _reads(session, ids)
    connection.execute(delete(DOCUMENTS).where(DOCUMENTS.c.decision_id.in_(ids)))
    connection.execute(delete(LISTINGS).where(LISTINGS.c.decision_id.in_(ids)))
    if reads:
        connection.execute(
            insert(DOCUMENTS),
            [
                {"decision_id": r.id, "version": r.version, "body": template(r), "digest": digest()}
                for r in reads
            ],
        )
        if rows := [row for r in reads for row in _listings(r)]:
            connection.execute(insert(LISTINGS), rows)
    return len(reads)


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), BATCH):
        yield ordered[start : start + BATCH]


def refresh(session: Session, ids: Iterable[int]) -> None:
    """Rewrite the documents of these decisions now."""
    session.flush()
    for batch in _batches(ids):
        _write(session, batch)


def rebuild(session: Session) -> int:
    """Rewrite every document from the record; return how many there are."""
    session.flush()
    session.connection().execute(delete(DOCUMENTS))
    session.connection().execute(delete(LISTINGS))
    return _write_all(session, select(Decision.id))


# Told how many documents are written so far, of how many.
Progress = Callable[[int, int], None]


def refresh_stale(session: Session, progress: Progress | None = None) -> int:
    """Make the documents of the decisions that have none (rows written past the app, a table
    just made) or one built with another read schema (its digest differs from `digest()`);
    return how many were written."""
    session.flush()
    current = select(DOCUMENTS.c.decision_id).where(
        DOCUMENTS.c.decision_id == Decision.id, DOCUMENTS.c.digest == digest()
    )
    return _write_all(session, select(Decision.id).where(~current.exists()), progress)


def _write_all(session: Session, ids: Select[int], progress: Progress | None = None) -> int:
    """Write the documents of the decisions `ids` selects, a batch at a time, in id order."""
    held = set(session.identity_map.keys())
    total = (session.scalar(select(func.count()).select_from(ids.subquery())) or 0) if progress else 0
    written = 0
    last = 0
    while True:
        batch = list(session.scalars(ids.where(Decision.id > last).order_by(Decision.id).limit(BATCH)))
        if not batch:
            return written
        written += _write(session, batch)
        if progress is not None:
            progress(written, total)
        last = batch[-1]
        # Loaded for the batch only: let them go (a whole record would not fit in memory).
        for obj in list(session.identity_map.values()):
            if attributes.instance_state(obj).key not in held:
                session.expunge(obj)


# -- Knowing what to rewrite -----------------------------------------------------------------


def touch(session: Session, ids: Iterable[int]) -> None:
    """Note decisions whose document must be rewritten before the commit (for writes past the
    ORM; the ORM's own are noted by the mapper hooks)."""
    session.info.setdefault(_DIRTY, set()).update(i for i in ids if i is not None)


def touch_all(session: Session) -> None:
    """Note that every document must be rewritten before the commit (after a bulk load)."""
    session.info[_ALL] = True


# A change of these changes the documents of the decisions linked to or from it.
SHOWN_ON_LINKS = ("reference", "title", "issued_on")


def _with_old(obj: Any, name: str) -> list[Any]:
    """The attribute's value and, when the flush changed it, its values before."""
    return [getattr(obj, name), *attributes.get_history(obj, name).deleted]


def _noted(target: Any) -> set[int]:
    session = object_session(target)
    assert session is not None, "a row flushed outside a session"
    dirty: set[int] = session.info.setdefault(_DIRTY, set())
    return dirty


def _decision_written(_mapper: Any, _connection: Any, target: Decision) -> None:
    _noted(target).add(target.id)
    if any(attributes.get_history(target, n).has_changes() for n in SHOWN_ON_LINKS):
        session = object_session(target)
        assert session is not None
        session.info.setdefault(_LINKED, set()).add(target.id)


def _part_written(_mapper: Any, _connection: Any, target: Any) -> None:
    _noted(target).update(_with_old(target, "decision_id"))


def _link_written(_mapper: Any, _connection: Any, target: DecisionRelation) -> None:
    _noted(target).update(_with_old(target, "decision_id"), _with_old(target, "related_decision_id"))


def _recommendation_written(_mapper: Any, _connection: Any, target: Recommendation) -> None:
    # Its decision's counts and compliance change when it comes, goes, moves or changes
    # status; its text or due day are not part of the decision's read.
    _noted(target).update(_with_old(target, "decision_id"))


def _recommendation_updated(mapper: Any, connection: Any, target: Recommendation) -> None:
    # A payment obligation's every write (a new assessment may change the amount paid, not the
    # status) changes what its decision's read says was paid.
    if target.kind == RecommendationKind.payment or any(
        attributes.get_history(target, n).has_changes() for n in ("status", "decision_id")
    ):
        _recommendation_written(mapper, connection, target)


def _linked_to(session: Session) -> None:
    """Note the decisions linked to or from those whose reference, title or date changed."""
    ids = list(session.info.pop(_LINKED, ()))
    if not ids:
        return
    rows = session.connection().execute(
        select(DecisionRelation.decision_id, DecisionRelation.related_decision_id).where(
            or_(DecisionRelation.decision_id.in_(ids), DecisionRelation.related_decision_id.in_(ids))
        )
    )
    touch(session, chain.from_iterable(rows))


def _before_commit(session: Session) -> None:
    if not session.info.get(_DIRTY) and not session.info.get(_ALL) and not session.info.get(_LINKED):
        return
    session.flush()
    _linked_to(session)
    if session.info.pop(_ALL, False):
        session.info.pop(_DIRTY, None)
        rebuild(session)
        return
    refresh(session, session.info.pop(_DIRTY, ()))


def _forget(session: Session, transaction: SessionTransaction) -> None:
    # Only at the end of the whole transaction: a savepoint rolled back leaves the notes of
    # the rest (rewriting a document that did not change costs a little, and is harmless).
    if transaction.parent is None:
        for key in (_DIRTY, _ALL, _LINKED):
            session.info.pop(key, None)


def install() -> None:
    """Put the hooks on the mapped classes and every session (idempotent).

    Mapper events, not the session's lists: they see every row the flush writes, the
    orphans a replaced collection deletes included (`session.deleted` never lists those)."""
    hooks: list[tuple[Any, str, Any]] = [
        (Session, "before_commit", _before_commit),
        (Session, "after_transaction_end", _forget),
    ]
    for when in ("after_insert", "after_update", "after_delete"):
        hooks.append((Decision, when, _decision_written))
        hooks.append((DecisionRelation, when, _link_written))
        hooks += [(part, when, _part_written) for part in DECISION_PARTS]
    hooks.append((Recommendation, "after_insert", _recommendation_written))
    hooks.append((Recommendation, "after_delete", _recommendation_written))
    hooks.append((Recommendation, "after_update", _recommendation_updated))
    for target, name, fn in hooks:
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)


# -- Reading documents -----------------------------------------------------------------------

_REGULATOR_IDS: BindParameter[list[int]] = bindparam("regulators", expanding=True)
_ORGANISATION_IDS: BindParameter[list[int]] = bindparam("organisations", expanding=True)
# The names a page's slots need, in one statement.
NAMES = (
    select(literal("R"), Regulator.id, Regulator.name, Regulator.jurisdiction)
    .where(Regulator.id.in_(_REGULATOR_IDS))
    .union_all(
        select(literal("O"), Organisation.id, Organisation.name, null()).where(
            Organisation.id.in_(_ORGANISATION_IDS)
        )
    )
)


def fill(session: Session, bodies: Sequence[str]) -> list[str]:
    """The documents with their slots filled, the names read in one statement."""
    pieces = [body.split(SLOT) for body in bodies]
    regulators: set[int] = set()
    organisations: set[int] = set()
    for parts in pieces:
        for key in parts[1::2]:
            (organisations if key[0] == "O" else regulators).add(int(key[1:]))
    if not regulators and not organisations:
        return list(bodies)
    values: dict[str, str] = {}
    rows = session.connection().execute(
        NAMES, {"regulators": list(regulators), "organisations": list(organisations)}
    )
    for kind, id, name, jurisdiction in rows:
        values[f"{kind}{id}"] = to_json(name).decode()
        if kind == "R":
            values[f"J{id}"] = to_json(jurisdiction).decode()
    for parts in pieces:
        parts[1::2] = [values[key] for key in parts[1::2]]
    return ["".join(parts) for parts in pieces]


def one(session: Session, decision_id: int) -> tuple[int, bytes]:
    """A decision's current read, as the API answers it, and its version; 404 (or 308 for a
    merged one) as `decisions.read` answers."""
    row = session.execute(
        select(DecisionDocument.version, DecisionDocument.body).where(
            DecisionDocument.decision_id == decision_id
        )
    ).first()
    if row is None:
        get_or_404(session, Decision, decision_id)
        # Written past the hooks and not yet rebuilt: read as computed (nothing stored, as a
        # read's transaction writes nothing).
        version, body = build(session, [decision_id])[decision_id]
    else:
        version, body = row
    return version, fill(session, [body])[0].encode()


# The keys a page is ordered by (`paginate` reads the sort key from the row's first entity).
KEYS: Bundle[Any] = Bundle(
    "decision", Decision.id, Decision.issued_on, Decision.reference, Decision.title, Decision.kind
)


LISTED_KEYS: Bundle[Any] = Bundle(
    "decision", DecisionListing.decision_id.label("id"), DecisionListing.issued_on.label("issued_on")
)
# The list's own orders by day (decisions.SORTS: the same names, directions and cursors), over
# the listing's copy of the day and id.
LISTED_SORTS = {
    name: replace(
        decisions.SORTS[name], column=DecisionListing.issued_on, id_column=DecisionListing.decision_id
    )
    for name in ("-issued_on", "issued_on")
}
# The filters a listing serves: one owner's decisions of one compliance (and no other filter).
LISTED_BY = {
    frozenset({"regulator_id", "compliance"}): "R",
    frozenset({"organisation_id", "compliance"}): "O",
}


def _listed(filters: DecisionFilter, sort: str) -> Select[Any] | None:
    """The page's statement over the listings, when they hold it: one owner's decisions of one
    compliance, by day; else None (the list's own statement serves it)."""
    given = filters.values()
    owner = LISTED_BY.get(frozenset(given))
    if owner is None or sort not in LISTED_SORTS:
        return None
    owner_id = given["regulator_id" if owner == "R" else "organisation_id"]
    return (
        select(LISTED_KEYS, DecisionDocument.body)
        .outerjoin(DecisionDocument, DecisionDocument.decision_id == DecisionListing.decision_id)
        .where(
            DecisionListing.owner == owner,
            DecisionListing.owner_id == owner_id,
            DecisionListing.compliance == given["compliance"],
        )
    )


def page(session: Session, filters: DecisionFilter, *, sort: str, limit: int, cursor: str | None) -> bytes:
    """A page of the decision list, as the API answers it: the same filters, orders and
    cursors as `decisions.list_`, the documents read with the page in one statement."""
    assert filters.as_of is None, "a list as of a day is derived, not stored"
    if (listed := _listed(filters, sort)) is not None:
        stmt, sorts = listed, LISTED_SORTS
    else:
        stmt = (
            decisions.filtered(filters, session=session)
            .with_only_columns(KEYS, DecisionDocument.body, maintain_column_froms=True)
            .outerjoin(DecisionDocument, DecisionDocument.decision_id == Decision.id)
        )
        sorts = decisions.SORTS
    rows, next_cursor = paginate(session, stmt, sorts=sorts, sort=sort, limit=limit, cursor=cursor)
    bodies: list[str | None] = [row[1] for row in rows]
    missing = [row[0].id for row, body in zip(rows, bodies, strict=True) if body is None]
    if missing:
        made = build(session, missing)
        bodies = [
            body if body is not None else made[row[0].id][1] for row, body in zip(rows, bodies, strict=True)
        ]
    items = ",".join(fill(session, [b for b in bodies if b is not None]))
    return f'{{"items":[{items}],"next_cursor":{to_json(next_cursor).decode()}}}'.encode()

"""Helpers every service uses: lookups, version checks, reference checks."""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.orm.interfaces import ORMOption

from app.errors import Conflict, FieldError, Invalid, Moved, NotFound, PreconditionFailed
from app.labels import gettext
from app.models import Base, MergedRecord
from app.models.base import table_of

M = TypeVar("M", bound=Base)
# Records that can be merged into another, by label: their collection's path segment.
MERGEABLE = {"organisation": "organisations", "decision": "decisions"}


def label(model: type[Base]) -> str:
    return model.__name__.lower()


def get_or_404(session: Session, model: type[M], id: int, *, options: Sequence[ORMOption] = ()) -> M:
    obj = session.get(model, id, options=options)
    if obj is None:
        if label(model) in MERGEABLE:
            into = session.scalar(
                select(MergedRecord.into_id).where(
                    MergedRecord.kind == label(model), MergedRecord.merged_id == id
                )
            )
            if into is not None:
                raise Moved(
                    f"The {label(model)} {id} was merged into {label(model)} {into}.",
                    collection=MERGEABLE[label(model)],
                    merged_id=id,
                    into_id=into,
                )
        # In the reader's language (app/language.py), where the catalogue names the kind.
        what = gettext(label(model))
        raise NotFound(gettext("There is no %(what)s with id %(id)s.") % {"what": what, "id": id})
    return obj


def check_version(obj: Any, expected_version: int | None) -> None:
    """Refuse a change made against a version of the record that is no longer current."""
    if expected_version is not None and obj.version != expected_version:
        raise PreconditionFailed(
            f"The {label(type(obj))} {obj.id} has changed since you read it "
            f"(you had version {expected_version}, it is now at {obj.version}); "
            "read it again and reapply your change."
        )


def missing_ids(session: Session, model: type[Base], ids: Iterable[int]) -> set[int]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return set()
    id_column = table_of(model).c.id
    found = set(session.scalars(select(id_column).where(id_column.in_(wanted))))
    return wanted - found


def check_references(session: Session, refs: Iterable[tuple[str, type[Base], int | None]]) -> None:
    """Refuse ids that name no record, naming every bad field at once."""
    given = [(field, model, id) for field, model, id in refs if id is not None]
    by_model: dict[type[Base], set[int]] = {}
    for _, model, id in given:
        by_model.setdefault(model, set()).add(id)
    missing = {model: missing_ids(session, model, ids) for model, ids in by_model.items()}
    errors = [
        FieldError(field, f"there is no {label(model)} with id {id}", "reference")
        for field, model, id in given
        if id in missing[model]
    ]
    if errors:
        raise Invalid("Some ids name no record: " + "; ".join(e.message for e in errors) + ".", errors)


def refuse_if_referenced(
    session: Session, what: str, checks: Iterable[tuple[str, ColumnElement[bool]]]
) -> None:
    """Refuse to delete a record others still point at (nothing is deleted behind a user's back)."""
    uses = []
    for name, clause in checks:
        n = session.scalar(select(func.count()).where(clause))
        if n:
            uses.append(f"{n} {name}")
    if uses:
        raise Conflict(f"{what} is still referenced by " + ", ".join(uses) + "; remove those first.")


def changed(obj: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        setattr(obj, key, value)


def labels(
    session: Session,
    id_column: QueryableAttribute[int],
    label: QueryableAttribute[Any],
    ids: Iterable[int] | None = None,
) -> dict[int, Any]:
    """`{id: label}` for the given ids (all rows, ordered by label, when ids is None), to name
    linked records on a page or offer them as choices in a form."""
    stmt = select(id_column, label)
    if ids is not None:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        stmt = stmt.where(id_column.in_(wanted))
    return dict(session.execute(stmt.order_by(label, id_column)).all())

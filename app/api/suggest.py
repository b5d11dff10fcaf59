"""Suggestions for the choosers of the forms: records by the start or a part of their name."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.access import public
from app.api.common import READ
from app.api.deps import SessionDep
from app.api.idempotency import ApiRoute
from app.services.record import suggest as suggest_service
from app.services.record.suggest import MAX_SUGGESTIONS, SuggestKind

router = APIRouter(route_class=ApiRoute, prefix="/suggest", tags=["search"])


class Suggestion(BaseModel):
    kind: SuggestKind
    id: int
    label: str = Field(description="The record's name (a decision's reference, a case's title).")
    value: str = Field(description="What a chooser writes for it: the label and its id, `Name (#12)`.")


class Suggestions(BaseModel):
    items: list[Suggestion]


@router.get("", response_model=Suggestions, responses=READ)
@public
def suggest_records(
    session: SessionDep,
    kind: Annotated[
        SuggestKind | None, Query(description="What to suggest; without it, every kind (in this order).")
    ] = None,
    q: Annotated[str, Query(max_length=300, description="What has been typed so far.")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS, description="At most this many.")] = 10,
) -> Suggestions:
    """Records whose name (an organisation's alias too; a decision's reference, a case's
    title) contains what was typed, those starting with it first, then by name; an id typed
    finds that record. For choosing by typing, never from a list of thousands."""
    items: list[Suggestion] = []
    for each in [kind] if kind is not None else list(SuggestKind):
        found = suggest_service.suggest(session, kind=each, q=q, limit=limit - len(items))
        items += [
            Suggestion(kind=each, id=id, label=label, value=suggest_service.display(label, id))
            for id, label in found
        ]
        if len(items) >= limit:
            break
    return Suggestions(items=items)

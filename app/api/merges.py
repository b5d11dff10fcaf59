from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.common import READ_ITEM, problems, with_etag
from app.api.deps import Editor, IfMatch, SessionDep, item_id
from app.api.idempotency import ApiRoute
from app.models import Merge
from app.schemas.duplicates import MergeRead, MergesRead
from app.services.record import merge_log
from app.services.shared.common import get_or_404

router = APIRouter(route_class=ApiRoute, prefix="/merges", tags=["duplicates"])

MergeId = Annotated[int, item_id("merge_id")]


def _read(entry: Merge) -> MergeRead:
    return MergeRead.model_validate(entry, from_attributes=True)


@router.get("", response_model=MergesRead, responses=problems(401, 403, 422))
def list_merges(
    session: SessionDep,
    _: Editor,
    kind: Annotated[Literal["decision", "organisation"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> MergesRead:
    """The merges, newest first: what was merged into what, by whom, what moved, and whether
    it was undone. Editors only."""
    return MergesRead(items=[_read(e) for e in merge_log.list_(session, kind=kind, limit=limit)])


@router.get("/{merge_id}", response_model=MergeRead, responses=READ_ITEM | problems(403))
def get_merge(merge_id: MergeId, session: SessionDep, _: Editor, response: Response) -> MergeRead:
    """One merge; its `ETag` is what an undo sends in `If-Match`."""
    entry = get_or_404(session, Merge, merge_id)
    with_etag(response, entry.version)
    return _read(entry)


@router.post(
    "/{merge_id}/undo", response_model=MergeRead, responses=problems(400, 403, 404, 409, 412, 422, 428)
)
def undo_merge(
    merge_id: MergeId, session: SessionDep, _: Editor, version: IfMatch, response: Response
) -> MergeRead:
    """Undo a merge (`If-Match`: the merge's ETag): the merged record comes back with its id,
    and everything the merge moved goes back where it was, exactly (the record's export is
    what it was before the merge). 409 when already undone; 422 naming the conflict when the
    kept record was merged again since (undo that merge first) or anything the merge moved
    has changed since; 412 stale, 428 without `If-Match`. Audited."""
    entry = merge_log.undo(session, merge_id=merge_id, expected_version=version)
    with_etag(response, entry.version)
    return _read(entry)

from fastapi import APIRouter

from app.api.common import problems
from app.api.deps import Editor, SessionDep
from app.api.idempotency import ApiRoute
from app.schemas.duplicates import DuplicatePair, DuplicateRecord, DuplicatesRead
from app.services.record import duplicates

router = APIRouter(route_class=ApiRoute, prefix="/duplicates", tags=["duplicates"])


def _pair(p: duplicates.Pair) -> DuplicatePair:
    return DuplicatePair(
        kind=p.kind,
        reason=p.reason,
        records=[
            DuplicateRecord(id=p.first_id, name=p.first_name),
            DuplicateRecord(id=p.second_id, name=p.second_name),
        ],
    )


@router.get("", response_model=DuplicatesRead, responses=problems(401, 403, 422))
def list_duplicates(session: SessionDep, _: Editor) -> DuplicatesRead:
    """Suspected duplicate decisions (the same regulator, respondent and day, with the same
    penalty or reference, or a different penalty) and organisations (the same name but for
    legal form and punctuation, or near names), each pair with the reason. Editors only."""
    return DuplicatesRead(
        decisions=[_pair(p) for p in duplicates.decision_pairs(session)],
        organisations=[_pair(p) for p in duplicates.organisation_pairs(session)],
    )

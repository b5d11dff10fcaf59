"""The REST API, version 1."""

from fastapi import APIRouter, Depends

from app.api import (
    audit,
    cases,
    common,
    countries,
    decisions,
    documents,
    duplicates,
    exchange,
    merges,
    organisations,
    recommendations,
    regulators,
    review,
    search,
    stats,
    subscriptions,
    suggest,
    tokens,
    vocabulary,
)
from app.api.deps import current_token

router = APIRouter(prefix="/api/v1", responses=common.problems(401))
# Every API route reads the caller's token, so every one can answer 401 to a bad one: by this
# dependency, or (the current decision and recommendation reads, async) by reading it itself
# when one is sent (app/api/current_reads.py).
checked = [Depends(current_token)]
# First: the most frequent requests find their route without walking the others.
router.include_router(decisions.current)
router.include_router(recommendations.current)
for module in (
    regulators,
    organisations,
    cases,
    decisions,
    recommendations,
    search,
    suggest,
    stats,
    countries,
    exchange,
    tokens,
    audit,
    subscriptions,
    duplicates,
    merges,
    review,
    documents,
    vocabulary,
):
    router.include_router(module.router, dependencies=checked)

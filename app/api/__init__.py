"""The REST API, version 1."""

from fastapi import APIRouter, Depends

from app.api import (
    audit,
    cases,
    common,
    decisions,
    duplicates,
    exchange,
    organisations,
    recommendations,
    regulators,
    search,
    stats,
    subscriptions,
    suggest,
    tokens,
)
from app.api.deps import current_token

# Every API route reads the caller's token, so every one can answer 401 to a bad one.
router = APIRouter(prefix="/api/v1", dependencies=[Depends(current_token)], responses=common.problems(401))
for module in (
    regulators,
    organisations,
    cases,
    decisions,
    recommendations,
    search,
    suggest,
    stats,
    exchange,
    tokens,
    audit,
    subscriptions,
    duplicates,
):
    router.include_router(module.router)

"""The REST API, version 1."""

from fastapi import APIRouter, Depends

from app.api import cases, decisions, organisations, recommendations, regulators, stats
from app.api.deps import current_token

router = APIRouter(prefix="/api/v1", dependencies=[Depends(current_token)])
for module in (regulators, organisations, cases, decisions, recommendations, stats):
    router.include_router(module.router)

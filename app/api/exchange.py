"""Bulk data out and in: the whole record as JSON (export, admin-only import) and CSV exports
of decisions and recommendations with the lists' filters."""

import asyncio
import contextlib
import io
import logging
import tempfile
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Send

from app.access import public
from app.api.common import problems
from app.api.deps import (
    Admin,
    CaseSortParam,
    DecisionSortParam,
    OrganisationSortParam,
    RecommendationSortParam,
    RegulatorSortParam,
    SessionDep,
    get_database,
)
from app.api.idempotency import ApiRoute
from app.config import get_settings
from app.schemas.filters import (
    CaseFilter,
    DecisionFilter,
    OrganisationFilter,
    RecommendationFilter,
    RegulatorFilter,
)
from app.services.exchange import record_import as exchange
from app.services.reporting import csv_export
from app.services.shared import audit
from app.vocab import CaseSort, DecisionSort, OrganisationSort, RecommendationSort, RegulatorSort

router = APIRouter(route_class=ApiRoute, tags=["export and import"])
SPOOL_BYTES = 8 << 20
logger = logging.getLogger("findings.export")


class TimedStreamingResponse(StreamingResponse):
    """A streamed answer abandoned when its client stops taking it.

    Each piece must be taken by the client within `SEND_TIMEOUT` seconds, else the stream
    ends (and with it the read snapshot it holds, which on SQLite would keep the WAL from
    being checkpointed for as long as the client stalls).
    """

    def __init__(self, content: Iterator[bytes], *, send_timeout: float, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.send_timeout = send_timeout
        self.source = content

    async def stream_response(self, send: Send) -> None:
        async def timed_send(message: Message) -> None:
            async with asyncio.timeout(self.send_timeout):
                await send(message)

        try:
            await super().stream_response(timed_send)
        except TimeoutError:
            logger.warning("a client took no data for %s s; its download was abandoned", self.send_timeout)
        finally:
            close = getattr(self.source, "close", None)
            if close is not None:
                with contextlib.suppress(ValueError):  # still running in its thread: it ends there
                    close()


def streamed(
    request: Request, produce: Callable[[Session], Iterator[str]], *, media_type: str, filename: str
) -> StreamingResponse:
    """Stream what `produce` writes from its own read session (one consistent snapshot).

    The first pieces are made before the answer starts, so a bad filter is still a proper
    problem+json error rather than a broken download.
    """
    session = get_database(request).session()
    try:
        exchange.consistent_read(session)
        chunks = produce(session)
        head = next(chunks) + next(chunks, "")
    except BaseException:
        session.close()
        raise

    def body() -> Iterator[bytes]:
        try:
            yield head.encode()
            for chunk in chunks:
                yield chunk.encode()
        finally:
            session.rollback()
            session.close()

    return TimedStreamingResponse(
        body(),
        send_timeout=get_settings().send_timeout,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/export",
    responses={200: {"content": {"application/json": {}}, "description": "The whole record"}},
    response_class=StreamingResponse,
)
@public
def export_record(request: Request) -> StreamingResponse:
    """The whole record as one JSON document (format `findings-tracker-record`, version 1),
    streamed. Import it into an empty instance with `POST /api/v1/import` or `findings import`."""
    return streamed(request, exchange.export_record, media_type="application/json", filename="record.json")


@router.post(
    "/import",
    responses=problems(400, 401, 403, 409, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A document made by `GET /api/v1/export` (format findings-tracker-record).",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def import_record(request: Request, session: SessionDep, _: Admin) -> dict[str, Any]:
    """Load an export into this instance, which must be empty (409 otherwise). All-or-nothing:
    one bad item changes nothing, and the 422 answer names each bad item and field, such as
    `decisions[3].issued_on`. Needs an admin token."""
    session.info["actor"] = f"import:{audit.actor(session)}"
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        reader = io.TextIOWrapper(spool, encoding="utf-8")
        counts = await run_in_threadpool(exchange.import_record, session, reader)
    return {"imported": counts}


@router.get("/export/decisions.csv", response_class=StreamingResponse, responses=problems(400, 422))
@public
def export_decisions_csv(
    request: Request,
    filters: Annotated[DecisionFilter, Query()],
    sort: DecisionSortParam = DecisionSort.issued_on_desc,
) -> StreamingResponse:
    """Decisions matching the list's filters, with their derived compliance, standing and
    recommendation counts (as of `as_of` when given), as CSV."""
    return streamed(
        request,
        lambda s: csv_export.decision_rows(s, filters, sort=sort),
        media_type="text/csv; charset=utf-8",
        filename="decisions.csv",
    )


@router.get("/export/recommendations.csv", response_class=StreamingResponse, responses=problems(400, 422))
@public
def export_recommendations_csv(
    request: Request,
    filters: Annotated[RecommendationFilter, Query()],
    sort: RecommendationSortParam = RecommendationSort.id_asc,
) -> StreamingResponse:
    """Recommendations matching the list's filters, with their derived status and overdue flag
    (as of `as_of` when given), as CSV."""
    return streamed(
        request,
        lambda s: csv_export.recommendation_rows(s, filters, sort=sort),
        media_type="text/csv; charset=utf-8",
        filename="recommendations.csv",
    )


@router.get("/export/organisations.csv", response_class=StreamingResponse, responses=problems(400, 422))
@public
def export_organisations_csv(
    request: Request,
    filters: Annotated[OrganisationFilter, Query()],
    sort: OrganisationSortParam = OrganisationSort.name_asc,
) -> StreamingResponse:
    """Organisations matching the list's filters, in its order, with their decisions, compliance
    and penalties by kind and currency (as of `as_of` when given), as CSV."""
    return _party_csv(request, "organisations", filters, sort)


@router.get("/export/regulators.csv", response_class=StreamingResponse, responses=problems(400, 422))
@public
def export_regulators_csv(
    request: Request,
    filters: Annotated[RegulatorFilter, Query()],
    sort: RegulatorSortParam = RegulatorSort.name_asc,
) -> StreamingResponse:
    """Regulators matching the list's filters, with their decisions, the compliance of what they
    recommended and their penalties by kind and currency (as of `as_of` when given), as CSV."""
    return _party_csv(request, "regulators", filters, sort)


@router.get("/export/cases.csv", response_class=StreamingResponse, responses=problems(400, 422))
@public
def export_cases_csv(
    request: Request,
    filters: Annotated[CaseFilter, Query()],
    sort: CaseSortParam = CaseSort.title_asc,
) -> StreamingResponse:
    """Cases matching the list's filters, with their decisions, compliance and penalties by kind
    and currency (as of `as_of` when given), as CSV."""
    return _party_csv(request, "cases", filters, sort)


def _party_csv(
    request: Request, kind: str, filters: OrganisationFilter | RegulatorFilter | CaseFilter, sort: str
) -> StreamingResponse:
    return streamed(
        request,
        lambda s: csv_export.party_rows(s, kind, filters, sort=sort),
        media_type="text/csv; charset=utf-8",
        filename=f"{kind}.csv",
    )

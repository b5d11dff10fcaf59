"""Readers' error reports: "this is wrong", on a decision, a recommendation or an organisation,
from a signed-in account or from anyone (limited per client address). Each lands in the review
queue, where an editor accepts it (linking the assessment or record it led to) or declines it
with a reason; a signed-in reporter is told by e-mail, to the account's own address (nobody is
ever mailed at an address a visitor typed: there is no such field). Every step is audited."""

import datetime as dt

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from app import paths
from app.errors import Conflict, FieldError, NotFound, TooLarge, TooManyRequests
from app.models import Assessment, Decision, ErrorReport, Organisation, Recommendation, ReviewClaim, User
from app.schemas.review import (
    MAX_REPORT_CHARACTERS,
    ReportAccept,
    ReportCreate,
    ReportDecline,
    ReportRead,
    ReviewItem,
    ReviewPage,
)
from app.services.accounts import ratelimit
from app.services.alerts import notices
from app.services.compliance import plain
from app.services.review import claims, queue
from app.services.shared import audit
from app.services.shared.common import check_version, get_or_404
from app.services.shared.pagination import ordered_pair, paginate
from app.vocab import ReportStatus, ReportTarget

REPORT = "report"
ANONYMOUS = "anonymous"
# Reports an hour: from one client address without an account, and from one account.
LIMIT_ANONYMOUS = 5
LIMIT_ACCOUNT = 30
TARGETS: dict[ReportTarget, type[Decision] | type[Recommendation] | type[Organisation]] = {
    ReportTarget.decision: Decision,
    ReportTarget.recommendation: Recommendation,
    ReportTarget.organisation: Organisation,
}
LED_TO: dict[str, type[Assessment] | type[Decision] | type[Recommendation] | type[Organisation]] = {
    "assessment": Assessment,
    "decision": Decision,
    "recommendation": Recommendation,
    "organisation": Organisation,
}
SORTS = ordered_pair("id", ErrorReport.id, ErrorReport.id)


def create(
    session: Session,
    *,
    data: ReportCreate,
    user: User | None,
    reporter_name: str | None,
    client: str,
    limit: int | None = None,
) -> ErrorReport:
    """File a report. 413 over 5,000 characters, 404 for a record that is not there, 429 (with
    how long to wait) over the hourly limit of the account or, without one, of the client (or
    of `client` at `limit`: an API token)."""
    if len(data.text) > MAX_REPORT_CHARACTERS:
        raise TooLarge(
            f"A report has at most {MAX_REPORT_CHARACTERS:,} characters; this one has {len(data.text):,}.",
            [FieldError("text", f"at most {MAX_REPORT_CHARACTERS:,} characters", "too_long")],
        )
    kind, target_id = data.target.type, data.target.id
    if session.get(TARGETS[kind], target_id) is None:
        raise NotFound(f"There is no {kind.value} {target_id} to report on.")
    key, limit = (
        (f"report:user:{user.id}", LIMIT_ACCOUNT)
        if user
        else (f"report:client:{client}", limit or LIMIT_ANONYMOUS)
    )
    if (limited := ratelimit.hit(session, key=key, limit=limit)) is not None:
        raise TooManyRequests(
            f"Too many reports from here: {limit} an hour. "
            f"Try again in {limited.retry_after // 60 + 1} minutes.",
            headers={"Retry-After": str(limited.retry_after)},
        )
    session.info.setdefault("actor", f"{ANONYMOUS}:{client}" if user is None else f"user:{user.email}")
    report = ErrorReport(
        target_kind=kind,
        target_id=target_id,
        text=data.text,
        source_url=data.source_url,
        reporter_user_id=user.id if user else None,
        reporter_name=(user.name if user else reporter_name) or ANONYMOUS,
        status=ReportStatus.open,
    )
    session.add(report)
    session.flush()
    audit.created(session, "error_report", report.id, audit.row(report))
    return report


def get(session: Session, *, report_id: int) -> ErrorReport:
    return get_or_404(session, ErrorReport, report_id)


def list_open(session: Session, *, limit: int, cursor: str | None) -> tuple[list[ErrorReport], str | None]:
    """The open reports, oldest first."""
    rows, next_cursor = paginate(
        session,
        select(ErrorReport).where(ErrorReport.status == ReportStatus.open.value),
        sorts=SORTS,
        sort="id",
        limit=limit,
        cursor=cursor,
    )
    return [row[0] for row in rows], next_cursor


def items(session: Session, found: list[ErrorReport]) -> list[ReviewItem]:
    """The queue items of these reports, each with its claim."""
    held = queue.active_claims(session, REPORT, (r.id for r in found), claims.now())
    return [
        ReviewItem(
            kind="report",
            report=ReportRead.model_validate(r),
            claimed_by_name=held[r.id].holder_name if r.id in held else None,
            claimed_until=held[r.id].expires_at if r.id in held else None,
        )
        for r in found
    ]


def page(session: Session, *, limit: int, cursor: str | None) -> ReviewPage:
    """One page of the open reports, oldest first, with how many are resolved of how many."""
    found, next_cursor = list_open(session, limit=limit, cursor=cursor)
    resolved, total = progress(session)
    return ReviewPage(items=items(session, found), next_cursor=next_cursor, reviewed=resolved, total=total)


def progress(session: Session) -> tuple[int, int]:
    """(resolved, total) of the reports."""
    resolved = func.coalesce(func.sum(case((ErrorReport.status != ReportStatus.open.value, 1), else_=0)), 0)
    done, total = session.execute(select(resolved, func.count()).select_from(ErrorReport)).one()
    return int(done), int(total)


def claim_next(session: Session, *, after: int | None = None) -> ErrorReport | None:
    """Claim the first open report no other editor holds (after `after`, else from the start)."""
    free = ~exists().where(
        ReviewClaim.item_kind == REPORT,
        ReviewClaim.item_id == ErrorReport.id,
        ReviewClaim.expires_at > claims.now(),
        ReviewClaim.holder != audit.actor(session),
    )
    base = select(ErrorReport).where(ErrorReport.status == ReportStatus.open.value, free)
    attempts = [base.where(ErrorReport.id > after), base] if after is not None else [base]
    postgres = session.get_bind().dialect.name == "postgresql"
    for stmt in attempts:
        stmt = stmt.order_by(ErrorReport.id).limit(1)
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        found = session.scalar(stmt)
        if found is not None:
            claims.claim(session, REPORT, found.id)
            return found
    return None


def resolve(
    session: Session, *, report_id: int, action: ReportAccept | ReportDecline, expected_version: int | None
) -> ErrorReport:
    """Accept a report (what it led to linked) or decline it (with the reason); the reporter,
    when signed in, is told by e-mail."""
    report = get_or_404(session, ErrorReport, report_id)
    check_version(report, expected_version)
    if report.status != ReportStatus.open:
        raise Conflict(
            f"Report {report_id} was already {plain(report.status.value)} by {report.resolved_by_name} "
            f"on {report.resolved_at:%Y-%m-%d}."
        )
    claims.check_free(session, REPORT, report_id)
    before = audit.row(report)
    if isinstance(action, ReportAccept):
        if action.led_to is not None:
            if session.get(LED_TO[action.led_to.type], action.led_to.id) is None:
                raise NotFound(
                    f"There is no {action.led_to.type} {action.led_to.id} for the report to lead to.",
                    [FieldError("led_to.id", "names nothing", "reference")],
                )
            report.led_to_kind, report.led_to_id = action.led_to.type, action.led_to.id
        report.status = ReportStatus.accepted
        report.resolution = action.note
    else:
        report.status = ReportStatus.declined
        report.resolution = action.reason
    report.resolved_at = dt.datetime.now(dt.UTC)
    report.resolved_by = audit.actor(session)
    report.resolved_by_name = audit.public_name(session)
    report.updated_at = report.resolved_at
    session.flush()
    audit.record(
        session,
        action="accept" if report.status == ReportStatus.accepted else "decline",
        entity="error_report",
        entity_id=report.id,
        before=before,
        after=audit.row(report),
    )
    claims.release(session, REPORT, report_id)
    _tell_reporter(session, report)
    return report


def _tell_reporter(session: Session, report: ErrorReport) -> None:
    """An e-mail to the reporting account (through the outbox, sent by the worker)."""
    if report.reporter_user_id is None:
        return
    user = session.get(User, report.reporter_user_id)
    if user is None or user.disabled_at is not None:
        return
    where = notices.site_url(paths.page(report.target_kind.value, report.target_id))
    if report.status == ReportStatus.accepted:
        outcome = "An editor accepted it" + (f": {report.resolution}" if report.resolution else ".")
        if report.led_to_kind is not None:
            outcome += f"\n\nIt led to {report.led_to_kind} {report.led_to_id}."
    else:
        outcome = f"An editor declined it: {report.resolution}"
    notices.send(
        session,
        to=user.email,
        subject=f"Your report on {report.target_kind.value} {report.target_id}",
        body=(
            f"Hello {user.name},\n\nThank you for your report on {where}:\n\n"
            + "".join(f"> {line}\n" for line in report.text.splitlines()[:20])
            + f"\n{outcome}\n"
        ),
    )

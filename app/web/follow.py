"""Following records: the "Follow" form, one's subscriptions and their deliveries, and the
unsubscribe link of an alert e-mail (which works without signing in)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from app import language
from app.access import public
from app.errors import DomainError, NotFound
from app.labels import N_, gettext
from app.models import Subscription
from app.services.alerts import subscriptions
from app.services.alerts.subscriptions import ALL_EVENTS, TARGET_MODELS, Owner
from app.unit_of_work import SessionDep
from app.vocab import Channel, EventType, TargetType
from app.web.auth import AccountForm, AccountUser, WebUser, refuse_cross_site
from app.web.templating import redirect_with_notice, render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**53 - 1)]

EVENT_LABELS = {
    EventType.decision_created.value: N_("a new decision"),
    EventType.status_changed.value: N_("a recommendation's status changes"),
    EventType.standing_changed.value: N_("a decision's standing changes (appeal, overturned...)"),
    EventType.assessment_created.value: N_("a new assessment is logged"),
}


def event_labels() -> dict[str, str]:
    """The events one can follow, in the reader's language."""
    return {code: gettext(text) for code, text in EVENT_LABELS.items()}


def _owner(user: WebUser) -> Owner:
    return Owner(user_id=user.id)


def _target_of(values: Any) -> tuple[TargetType, int | None, str | None]:
    try:
        target_type = TargetType(str(values.get("type") or ""))
    except ValueError:
        raise NotFound(gettext("There is nothing of that kind to follow.")) from None
    raw_id = str(values.get("id") or "")
    target_id = int(raw_id) if raw_id.isdigit() and len(raw_id) <= 16 else None
    query = str(values.get("query") or "")[:2000] or None
    return target_type, target_id, query


def _follow_form(
    request: Request,
    session: Any,
    *,
    target_type: TargetType,
    target_id: int | None,
    query: str | None,
    values: dict[str, Any] | None = None,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    if target_type is TargetType.query:
        listed = gettext("decisions where %(query)s") % {"query": query}
        what = listed if query else gettext("a list of decisions")
    else:
        obj = session.get(TARGET_MODELS[target_type], target_id) if target_id else None
        if obj is None:
            raise NotFound(f"There is no {target_type.value} with id {target_id}.")
        what = getattr(obj, "name", None) or f"{getattr(obj, 'reference', '')}: {getattr(obj, 'title', '')}"
    return render(
        request,
        "follow/form.html",
        {
            "target_type": target_type.value,
            "target_id": target_id,
            "query": query or "",
            "what": what,
            "event_labels": event_labels(),
            "values": values or {"events": ALL_EVENTS, "channel": "email", "url": "", "digest": False},
            "message": message,
            "errors": errors or {},
        },
        status=status,
    )


@router.get("/follow", response_class=HTMLResponse, name="follow_form")
def follow_form(request: Request, session: SessionDep, user: AccountUser) -> HTMLResponse:
    target_type, target_id, query = _target_of(request.query_params)
    return _follow_form(request, session, target_type=target_type, target_id=target_id, query=query)


@router.post("/follow", name="follow")
def follow(request: Request, session: SessionDep, user: AccountUser, form: AccountForm) -> Response:
    target_type, target_id, query = _target_of(form)
    events = [e for e in form.getlist("events") if isinstance(e, str)]
    url = str(form.get("url") or "").strip()[:2000]
    digest = form.get("digest") == "on"
    chosen = str(form.get("channel") or "email")
    values = {"events": events, "channel": chosen, "url": url, "digest": digest}
    try:
        channel = Channel(chosen)
        # A savepoint: a refused subscription leaves the request's transaction clean.
        with session.begin_nested():
            sub = subscriptions.create(
                session,
                owner=_owner(user),
                target_type=target_type,
                target_id=target_id,
                query=query,
                events=events,
                channel=channel,
                url=url or None,
                digest=digest and channel is Channel.email,
                language=language.current(),
            )
    except ValueError:
        return _follow_form(
            request,
            session,
            target_type=target_type,
            target_id=target_id,
            query=query,
            values=values,
            message=gettext("Choose e-mail or a webhook."),
            errors={"channel": gettext("choose e-mail or a webhook")},
            status=422,
        )
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _follow_form(
            request,
            session,
            target_type=target_type,
            target_id=target_id,
            query=query,
            values=values,
            message=exc.detail,
            errors={e.field.split(".")[-1]: e.message for e in exc.errors},
            status=exc.status,
        )
    if sub.channel is Channel.webhook:
        # The signing secret is shown this once, on this page (never in a redirect or a cookie).
        return render(
            request,
            "follow/created.html",
            {"sub": sub, "what": subscriptions.describe(session, sub)},
            status=201,
        )
    return redirect_with_notice(str(request.url_for("my_subscriptions").path), "following", request)


@router.get("/subscriptions", response_class=HTMLResponse, name="my_subscriptions")
def my_subscriptions(request: Request, session: SessionDep, user: AccountUser) -> HTMLResponse:
    subs = list(
        session.scalars(
            select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id.desc())
        )
    )
    items = [
        {
            "sub": sub,
            "what": subscriptions.describe(session, sub),
            "deliveries": subscriptions.deliveries(session, sub=sub, limit=5)[0],
        }
        for sub in subs
    ]
    return render(request, "follow/list.html", {"items": items, "event_labels": event_labels()})


def _own(session: Any, user: WebUser, subscription_id: int) -> Subscription:
    return subscriptions.get(session, owner=_owner(user), subscription_id=subscription_id)


def _version(form: Any) -> int | None:
    raw = str(form.get("version") or "")
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


@router.post("/subscriptions/{subscription_id}/delete", name="unfollow")
def unfollow(
    request: Request, subscription_id: Id, session: SessionDep, user: AccountUser, form: AccountForm
) -> Response:
    sub = _own(session, user, subscription_id)
    subscriptions.delete(session, sub=sub, expected_version=_version(form))
    return redirect_with_notice(str(request.url_for("my_subscriptions").path), "unfollowed", request)


@router.post("/subscriptions/{subscription_id}/enable", name="enable_subscription")
def enable_subscription(
    request: Request, subscription_id: Id, session: SessionDep, user: AccountUser, form: AccountForm
) -> Response:
    sub = _own(session, user, subscription_id)
    subscriptions.update(session, sub=sub, values={"enabled": True}, expected_version=_version(form))
    return redirect_with_notice(str(request.url_for("my_subscriptions").path), "saved", request)


def _by_link(session: Any, subscription_id: int, token: str) -> Subscription:
    sub = subscriptions.by_unsubscribe_token(session, subscription_id=subscription_id, token=token[:100])
    if sub is None:
        raise NotFound(gettext("This unsubscribe link is unknown, or the alert is already gone."))
    return sub


@router.get("/unsubscribe/{subscription_id}/{token}", response_class=HTMLResponse, name="unsubscribe_form")
@public
def unsubscribe_form(request: Request, subscription_id: Id, token: str, session: SessionDep) -> HTMLResponse:
    sub = _by_link(session, subscription_id, token)
    return render(
        request, "follow/unsubscribe.html", {"what": subscriptions.describe(session, sub), "done": False}
    )


@router.post("/unsubscribe/{subscription_id}/{token}", response_class=HTMLResponse, name="unsubscribe")
@public
def unsubscribe(request: Request, subscription_id: Id, token: str, session: SessionDep) -> HTMLResponse:
    """The link's own token authorises it (also RFC 8058 one-click from a mail client)."""
    # A mail client's one-click post carries no browser headers; another site's form does.
    refuse_cross_site(request)
    sub = _by_link(session, subscription_id, token)
    session.info["actor"] = f"unsubscribe-link:{sub.id}"
    what = subscriptions.describe(session, sub)
    subscriptions.delete(session, sub=sub, expected_version=None)
    return render(request, "follow/unsubscribe.html", {"what": what, "done": True})

"""Account flows that give nothing away and cannot be raced (issue 30).

- Sign-up answers a known and a new address alike (status, page, and the cost of hashing the
  password), and counts refused sign-ups against its limits too.
- No pre-hijack: a stranger's sign-up with your address never leaves their password on your
  account once you confirm yours.
- One-time codes are used once even when sent many times at once (a conditional UPDATE checked
  by its row count), on PostgreSQL as on SQLite.
- Wrong second-factor codes are limited per pending session, whatever the client address.
- A password reset voids every other outstanding reset link.
"""

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx
import pyotp
import pytest
from sqlalchemy import func, select

from app import security_log
from app.db import Database
from app.main import create_app
from app.models import User, UserSession
from app.services.accounts import users
from app.services.alerts import worker
from app.vocab import Role
from tests.alert_helpers import Mailbox
from tests.conftest import Api
from tests.server_helpers import serving
from tests.web_helpers import PASSWORD, csrf_of, enrol_totp, fast_passwords, make_user, sign_in  # noqa: F401

STRANGER = "stranger's long secret passphrase"
OWNER = "owner picks seven quiet harbours"


def local(link: str) -> str:
    return link.split("127.0.0.1:8000", 1)[1]


def sign_up(client: Any, email: str, password: str = PASSWORD, name: str = "Rita") -> Any:
    data = {"email": email, "name": name, "password": password, "password2": password}
    return client.post("/signup", data=data, follow_redirects=False)


@pytest.fixture
def open_signup(settings_env: Any, smtp: Mailbox) -> Mailbox:
    settings_env(signup="open")
    return smtp


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords hashed during the test (the cost of an answer, counted, not timed)."""
    seen: list[str] = []
    real = users.hasher

    class Counting:
        def hash(self, password: str) -> str:
            seen.append(password)
            return real.hash(password)

        def verify(self, password: str, hashed: str) -> bool:
            return real.verify(password, hashed)

    monkeypatch.setattr(users, "hasher", Counting())
    return seen


# -- Sign-up: the same answer, the same cost, limited ----------------------------------------


def test_sign_up_answers_a_known_and_a_new_address_alike(
    api: Api, db: Database, open_signup: Mailbox, hashes: list[str]
) -> None:
    make_user(db, "ann@example.org", Role.reader)

    def page(answer: Any, email: str) -> tuple[int, str]:
        return answer.status_code, answer.text.replace(email, "ADDRESS")

    # A weak password: refused alike, whether the address has an account or not.
    known = sign_up(api.client, "ann@example.org", "password1")
    new = sign_up(api.client, "bob@example.org", "password1")
    assert known.status_code == 422 and "too easy to guess" in known.text
    assert page(known, "ann@example.org") == page(new, "bob@example.org")
    # A good one: the same page, and the password hashed in both cases.
    hashes.clear()
    known = sign_up(api.client, "ann@example.org", OWNER)
    assert hashes == [OWNER]
    new = sign_up(api.client, "bob@example.org", OWNER)
    assert hashes == [OWNER, OWNER]
    assert known.status_code == 200 and "Check your e-mail" in known.text
    assert page(known, "ann@example.org") == page(new, "bob@example.org")


def test_refused_sign_ups_count_against_the_limits(api: Api, open_signup: Mailbox) -> None:
    from app.services.accounts import signup

    for _ in range(signup.PER_ADDRESS):
        assert sign_up(api.client, "flood@example.org", "password1").status_code == 422
    assert sign_up(api.client, "flood@example.org", OWNER).status_code == 429
    # This client has asked PER_ADDRESS + 1 times (the refused one counts for the client).
    for i in range(signup.PER_CLIENT - signup.PER_ADDRESS - 1):
        assert sign_up(api.client, f"x{i}@example.org", "password1").status_code == 422
    refused = sign_up(api.client, "y@example.org", OWNER)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


# -- No pre-hijack ---------------------------------------------------------------------------


def confirm_links(db: Database, smtp: Mailbox, email: str) -> dict[str, str]:
    """The confirmation links sent to `email`, by the name each greets."""
    worker.run_once(db)
    links = {}
    for mail in smtp.to(email):
        if mail["Subject"].startswith("Confirm your address"):
            name = re.search(r"Hello (\w+),", smtp.text(mail)).group(1)  # type: ignore[union-attr]
            links[name] = local(smtp.link(mail, "/signup/confirm/"))
    return links


@pytest.mark.parametrize("stranger_again", [False, True])
def test_a_strangers_sign_up_never_sets_the_owners_password(
    api: Api, db: Database, open_signup: Mailbox, stranger_again: bool
) -> None:
    assert sign_up(api.client, "ann@example.org", STRANGER, name="Mallory").status_code == 200
    assert sign_up(api.client, "ann@example.org", OWNER, name="Ann").status_code == 200
    links = confirm_links(db, open_signup, "ann@example.org")
    if stranger_again:  # the stranger signs up once more before the owner confirms
        assert sign_up(api.client, "ann@example.org", STRANGER, name="Eve").status_code == 200
        links = confirm_links(db, open_signup, "ann@example.org")
    assert sorted(links) == sorted(["Ann", "Mallory", "Eve"][: 2 + stranger_again])
    assert api.client.get(links["Ann"], follow_redirects=False).status_code == 303
    assert sign_in(api.client, "ann@example.org", STRANGER).status_code == 400
    assert sign_in(api.client, "ann@example.org", OWNER).status_code == 303
    with db.transaction(write=False) as session:
        assert session.scalars(select(User.name).where(User.email == "ann@example.org")).one() == "Ann"
    # Once confirmed, the account is the owner's: the stranger's links are void.
    api.client.cookies.clear()
    for name, link in links.items():
        if name != "Ann":
            assert api.client.get(link, follow_redirects=False).status_code == 400
    assert sign_in(api.client, "ann@example.org", STRANGER).status_code == 400
    assert sign_in(api.client, "ann@example.org", OWNER).status_code == 303


# -- One-time codes, at once -----------------------------------------------------------------


@pytest.fixture
def rendezvous(backend: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Make `n` concurrent second-factor checks all read the pending session and the user before
    any of them writes (the race a database's row locks must settle). SQLite's write
    transactions are begun IMMEDIATE, so there the requests queue anyway and need no help."""

    def arm(n: int) -> None:
        if backend == "sqlite":
            return
        barrier = threading.Barrier(n, timeout=20)
        real = users.find_session

        def find_session(*args: Any, **kw: Any) -> Any:
            found = real(*args, **kw)
            if kw.get("pending"):
                barrier.wait()
            return found

        monkeypatch.setattr(users, "find_session", find_session)

    return arm


@pytest.fixture
def server(api: Api) -> Iterator[str]:
    with serving(create_app(api.db)) as url:
        yield url


def pending_sign_in(url: str, email: str) -> tuple[dict[str, str], str]:
    """Sign in with the password; the pending session's cookies and the second step's form token."""
    with httpx.Client(base_url=url) as client:
        answer = client.post("/signin", data={"email": email, "password": PASSWORD, "next": "/"})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin/two-factor")
        page = client.get("/signin/two-factor")
        return dict(client.cookies), csrf_of(page.text)


def send_at_once(url: str, cookies: dict[str, str], data: dict[str, str], n: int) -> list[int]:
    def send(_: int) -> int:
        with httpx.Client(base_url=url, cookies=cookies, timeout=60) as client:
            return client.post("/signin/two-factor", data=data).status_code

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(send, range(n)))


def open_sessions(db: Database, email: str) -> int:
    with db.transaction(write=False) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(UserSession)
                .join(User, User.id == UserSession.user_id)
                .where(
                    User.email == email,
                    UserSession.revoked_at.is_(None),
                    UserSession.second_factor_pending.is_(False),
                )
            )
            or 0
        )


def test_one_totp_code_sent_eight_times_at_once_opens_one_session(
    api: Api, server: str, rendezvous: Callable[[int], None]
) -> None:
    email = make_user(api.db, "ed@example.org")
    secret = enrol_totp(api.db, email)
    cookies, csrf = pending_sign_in(server, email)
    rendezvous(8)
    statuses = send_at_once(server, cookies, {"csrf_token": csrf, "code": pyotp.TOTP(secret).now()}, 8)
    assert statuses.count(303) == 1, statuses
    assert open_sessions(api.db, email) == 1


def enrol_with_recovery_codes(api: Api, email: str) -> list[str]:
    """Turn on two-factor sign-in through the pages; the recovery codes shown once."""
    assert sign_in(api.client, email).status_code == 303
    page = api.client.get("/account/two-factor")
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", page.text).group(1)  # type: ignore[union-attr]
    done = api.client.post(
        "/account/two-factor", data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()}
    )
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", done.text)
    assert len(codes) == 10, done.text
    api.client.cookies.clear()
    return codes


def test_one_recovery_code_sent_eight_times_at_once_opens_one_session(
    api: Api, server: str, rendezvous: Callable[[int], None]
) -> None:
    email = make_user(api.db, "ed@example.org")
    codes = enrol_with_recovery_codes(api, email)
    before = open_sessions(api.db, email)  # the one that enrolled
    # Two pending sessions, four requests each: one code, one session in all.
    first, csrf1 = pending_sign_in(server, email)
    second, csrf2 = pending_sign_in(server, email)
    rendezvous(8)
    with ThreadPoolExecutor(2) as pool:
        runs = [
            pool.submit(send_at_once, server, cookies, {"csrf_token": csrf, "code": codes[0]}, 4)
            for cookies, csrf in ((first, csrf1), (second, csrf2))
        ]
        statuses = [s for run in runs for s in run.result()]
    assert statuses.count(303) == 1, statuses
    assert open_sessions(api.db, email) == before + 1


# -- Wrong second-factor codes, per pending session ------------------------------------------


def test_wrong_codes_are_limited_per_pending_session_from_any_address(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web_helpers import second_factor

    counter = iter(range(10_000))
    # Each request from another address: the per-address limits never trip.
    monkeypatch.setattr(security_log, "client_address", lambda request: f"198.51.100.{next(counter) % 250}")
    email = make_user(api.db, "ed@example.org")
    secret = enrol_totp(api.db, email)
    assert sign_in(api.client, email).status_code == 303
    for _ in range(users.CODES_PER_PENDING_SESSION):
        step = api.client.get("/signin/two-factor")
        bad = api.client.post("/signin/two-factor", data={"csrf_token": csrf_of(step.text), "code": "123456"})
        assert bad.status_code == 400
    refused = second_factor(api.client, secret, db=api.db)
    assert refused.status_code == 429 and "sign in again" in refused.text
    assert open_sessions(api.db, email) == 0
    # A new sign-in with the password starts a new allowance.
    assert sign_in(api.client, email).status_code == 303
    assert second_factor(api.client, secret, db=api.db).status_code == 303


def test_wrong_codes_are_limited_per_account_over_many_pending_sessions(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.web_helpers import second_factor

    counter = iter(range(10_000))
    monkeypatch.setattr(security_log, "client_address", lambda request: f"198.51.100.{next(counter) % 250}")
    email = make_user(api.db, "ed@example.org")
    secret = enrol_totp(api.db, email)
    wrong = 0
    while wrong < users.MAX_SECOND_FACTOR_FAILURES:
        api.client.cookies.clear()
        assert sign_in(api.client, email).status_code == 303
        for _ in range(min(2, users.MAX_SECOND_FACTOR_FAILURES - wrong)):
            step = api.client.get("/signin/two-factor")
            data = {"csrf_token": csrf_of(step.text), "code": "123456"}
            assert api.client.post("/signin/two-factor", data=data).status_code == 400
            wrong += 1
    api.client.cookies.clear()
    assert sign_in(api.client, email).status_code == 303
    assert second_factor(api.client, secret, db=api.db).status_code == 429


# -- Resets ----------------------------------------------------------------------------------


def test_a_reset_voids_every_outstanding_reset_link(api: Api, db: Database, smtp: Mailbox) -> None:
    make_user(db, "ann@example.org")
    for _ in range(2):
        assert api.client.post("/password-reset", data={"email": "ann@example.org"}).status_code == 200
    worker.run_once(db)
    # Sent side by side: which arrives first does not matter.
    used, older = (local(smtp.link(m, "/password-reset/")) for m in smtp.to("ann@example.org"))
    assert api.client.get(older).status_code == 200
    done = api.client.post(used, data={"password": OWNER, "password2": OWNER}, follow_redirects=False)
    assert done.status_code == 303
    assert api.client.get(older).status_code == 400
    again = api.client.post(older, data={"password": STRANGER, "password2": STRANGER})
    assert again.status_code == 422 and "unknown, used or expired" in again.text
    assert sign_in(api.client, "ann@example.org", OWNER).status_code == 303


def test_a_password_change_voids_outstanding_reset_links(api: Api, db: Database, smtp: Mailbox) -> None:
    from tests.web_helpers import post_form

    make_user(db, "ann@example.org")
    assert api.client.post("/password-reset", data={"email": "ann@example.org"}).status_code == 200
    worker.run_once(db)
    [mail] = smtp.to("ann@example.org")
    link = local(smtp.link(mail, "/password-reset/"))
    assert sign_in(api.client, "ann@example.org").status_code == 303
    changed = post_form(
        api.client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": OWNER, "new_password_again": OWNER},
    )
    assert changed.status_code == 303
    assert api.client.get(link).status_code == 400


def test_confirmation_and_reset_links_work_once_under_concurrency(
    api: Api, db: Database, smtp: Mailbox, server: str
) -> None:
    make_user(db, "ann@example.org")
    assert api.client.post("/password-reset", data={"email": "ann@example.org"}).status_code == 200
    worker.run_once(db)
    [mail] = smtp.to("ann@example.org")
    link = local(smtp.link(mail, "/password-reset/"))
    passwords = [f"{word} amber kites drift over Lisbon" for word in ("one", "two", "three", "four")]

    def reset(password: str) -> int:
        with httpx.Client(base_url=server, timeout=60) as client:
            data = {"password": password, "password2": password}
            return client.post(link, data=data).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(reset, passwords))
    assert statuses.count(303) == 1, statuses
    assert sum(sign_in(api.client, "ann@example.org", p).status_code == 303 for p in passwords) == 1

"""Reader accounts: self sign-up with e-mail confirmation, and password reset by e-mail, both
through the outbox and a real SMTP server, and both limited."""

from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from app.models import User
from app.services.alerts import worker
from app.vocab import Role
from tests.alert_helpers import Mailbox
from tests.conftest import Api
from tests.web_helpers import PASSWORD, fast_passwords, make_user, sign_in  # noqa: F401

NEW_PASSWORD = "a different long passphrase"


def local(link: str) -> str:
    return link.split("127.0.0.1:8000", 1)[1]


def sign_up(api: Api, email: str = "rita@example.org", password: str = PASSWORD, **extra: Any) -> Any:
    data = {"email": email, "name": "Rita", "password": password, "password2": password} | extra
    return api.client.post("/signup", data=data, follow_redirects=False)


def test_sign_up_is_closed_by_default(api: Api, smtp: Mailbox) -> None:
    assert api.client.get("/signup").status_code == 404
    assert sign_up(api).status_code == 404
    assert "Sign up" not in api.client.get("/signin").text


def test_a_reader_signs_up_confirms_and_signs_in(
    api: Api, db: Database, smtp: Mailbox, settings_env: Any
) -> None:
    settings_env(signup="open")
    assert "Sign up" in api.client.get("/").text
    answer = sign_up(api)
    assert answer.status_code == 200 and "Check your e-mail" in answer.text
    # Not usable before the address is confirmed.
    assert sign_in(api.client, "rita@example.org").status_code == 400
    worker.run_once(db)
    [msg] = smtp.to("rita@example.org")
    assert msg["Subject"] == "Confirm your address for Findings Tracker"
    confirmed = api.client.get(local(smtp.link(msg, "/signup/confirm/")), follow_redirects=False)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/signin"
    assert sign_in(api.client, "rita@example.org").status_code == 303
    with db.transaction(write=False) as session:
        user = session.scalars(select(User).where(User.email == "rita@example.org")).one()
        assert user.role is Role.reader and user.email_confirmed_at is not None
    # A reader follows things but writes nothing to the record.
    assert api.client.get("/decisions/new", follow_redirects=False).status_code == 403
    assert api.client.get("/subscriptions").status_code == 200
    # The link works once.
    again = api.client.get(local(smtp.link(msg, "/signup/confirm/")))
    assert again.status_code == 400 and "unknown, used or expired" in again.text


def test_signing_up_with_a_known_address_tells_that_address_and_no_one_else(
    api: Api, db: Database, smtp: Mailbox, settings_env: Any
) -> None:
    settings_env(signup="open")
    make_user(db, "ann@example.org")
    answer = sign_up(api, "ann@example.org")
    assert answer.status_code == 200 and "Check your e-mail" in answer.text  # the same page as a new one
    worker.run_once(db)
    [msg] = smtp.to("ann@example.org")
    assert msg["Subject"] == "You already have a Findings Tracker account"


@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [
        ({"email": "not an address"}, 422, "e-mail address"),
        ({"password": "short", "password2": "short"}, 422, "8 to 128"),
        ({"password2": "something else entirely"}, 422, "differ"),
        ({"name": "   "}, 422, "name"),
    ],
)
def test_a_bad_sign_up_is_refused_with_the_input_kept(
    api: Api, db: Database, smtp: Mailbox, settings_env: Any, extra: dict[str, str], status: int, words: str
) -> None:
    settings_env(signup="open")
    answer = sign_up(api, **extra)
    assert answer.status_code == status and words in answer.text
    assert 'value="Rita"' in answer.text or extra.get("name") == "   "
    with db.transaction(write=False) as session:
        assert session.scalars(select(User)).all() == []


def test_sign_up_requests_are_limited_per_address(api: Api, smtp: Mailbox, settings_env: Any) -> None:
    settings_env(signup="open")
    for _ in range(3):
        assert sign_up(api, "flood@example.org").status_code == 200
    refused = sign_up(api, "flood@example.org")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_a_password_is_reset_by_an_emailed_link_that_works_once(
    api: Api, db: Database, smtp: Mailbox
) -> None:
    make_user(db, "ann@example.org", Role.editor)
    assert sign_in(api.client, "ann@example.org").status_code == 303
    old_cookies = dict(api.client.cookies)
    asked = api.client.post("/password-reset", data={"email": "Ann@Example.org"})
    assert asked.status_code == 200 and "Check your e-mail" in asked.text
    unknown = api.client.post("/password-reset", data={"email": "nobody@example.org"})
    assert unknown.status_code == 200 and "Check your e-mail" in unknown.text
    worker.run_once(db)
    assert smtp.to("nobody@example.org") == []
    [msg] = smtp.to("ann@example.org")
    path = local(smtp.link(msg, "/password-reset/"))
    assert api.client.get(path).status_code == 200
    short = api.client.post(path, data={"password": "short", "password2": "short"})
    assert short.status_code == 422 and "8 to 128" in short.text
    done = api.client.post(
        path, data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD}, follow_redirects=False
    )
    assert done.status_code == 303
    # The old password no longer works, the new one does, and the sessions open before ended.
    assert sign_in(api.client, "ann@example.org").status_code == 400
    api.client.cookies.clear()
    api.client.cookies.update(old_cookies)
    assert "Sign out" not in api.client.get("/").text
    assert sign_in(api.client, "ann@example.org", NEW_PASSWORD).status_code == 303
    # Used once.
    assert api.client.get(path).status_code == 400


def test_reset_requests_are_limited_per_client(api: Api, db: Database, smtp: Mailbox) -> None:
    for i in range(10):
        assert api.client.post("/password-reset", data={"email": f"x{i}@example.org"}).status_code == 200
    refused = api.client.post("/password-reset", data={"email": "x99@example.org"})
    assert refused.status_code == 429 and "Too many requests" in refused.text

"""Alerts in a real browser: a reader signs up, confirms the address from the e-mail, follows
Clearview AI from its page by e-mail and by webhook, an assessment is logged, and one e-mail
and one signed webhook arrive; then the password is reset from an e-mailed link."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from app import migrate
from app.db import Database
from app.models import Organisation, Recommendation
from app.schemas.recommendation import AssessmentCreate
from app.services import demo
from app.services.alerts import worker
from app.services.record import recommendations
from tests.alert_helpers import Mailbox, Receiver
from tests.browser_helpers import CHROMIUM_ARGS, chromium_or_skip, serve
from tests.web_helpers import fast_passwords  # noqa: F401  (autouse: cheap argon2 costs)

pytestmark = pytest.mark.browser

PASSWORD = "my own long passphrase"
NEW_PASSWORD = "an even longer passphrase"


@pytest.fixture
def site(tmp_path: Path, smtp: Mailbox, settings_env: Any) -> Iterator[tuple[str, Database]]:
    settings_env(signup="open")
    url = f"sqlite:///{tmp_path / 'alerts.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction(actor="test") as session:
        demo.load(session)
    try:
        with serve(db) as base:
            yield base, db
    finally:
        db.dispose()


def local(link: str, base: str) -> str:
    return base + link.split("127.0.0.1:8000", 1)[1]


def test_sign_up_follow_clearview_and_reset_the_password(
    site: tuple[str, Database], smtp: Mailbox, receiver: Receiver
) -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    base, db = site
    with db.transaction(write=False) as session:
        clearview = session.scalars(select(Organisation).where(Organisation.name.like("Clearview%"))).first()
        assert clearview is not None
        rec_id = session.scalars(
            select(Recommendation.id)
            .where(Recommendation.organisation_id == clearview.id)
            .order_by(Recommendation.id)
        ).first()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(15_000)

            # Sign up, from the sign-in page.
            page.goto(base + "/signin")
            page.get_by_role("link", name="Make one").click()
            page.locator("#f-email").fill("rita@example.org")
            page.locator("#f-name").fill("Rita")
            page.locator("#f-password").fill(PASSWORD)
            page.locator("#f-password2").fill(PASSWORD)
            page.get_by_role("button", name="Make the account").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

            # Confirm the address from the e-mail, then sign in.
            worker.run_once(db)
            [confirm] = smtp.to("rita@example.org")
            page.goto(local(smtp.link(confirm, "/signup/confirm/"), base))
            expect(page.get_by_role("status")).to_have_text("Your address is confirmed: sign in.")
            page.get_by_label("E-mail address").fill("rita@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()

            # Follow Clearview by e-mail, then by webhook, from its page.
            page.goto(f"{base}/organisations/{clearview.id}")
            for channel in ("email", "webhook"):
                page.get_by_role("link", name="Follow").click()
                for box in page.get_by_role("checkbox").all():
                    if box.get_attribute("name") == "events":
                        box.set_checked(box.get_attribute("value") == "recommendation.status_changed")
                if channel == "email":
                    page.get_by_label(re.compile("By e-mail")).check()
                    page.get_by_role("button", name="Follow").click()
                    expect(page.get_by_role("status")).to_contain_text("You follow it now")
                    page.goto(f"{base}/organisations/{clearview.id}")
                else:
                    page.get_by_label(re.compile("By webhook")).check()
                    page.get_by_label("Webhook address").fill(receiver.url)
                    page.get_by_role("button", name="Follow").click()
                    secret = page.locator("code.secret").inner_text()
            assert secret.startswith("whsec_")
            page.get_by_role("link", name="Your alerts").first.click()
            expect(page.get_by_role("heading", name=re.compile("Clearview"))).to_have_count(2)

            # An editor logs an assessment: one e-mail and one signed webhook arrive.
            with db.transaction(actor="test") as session:
                recommendations.add_assessment(
                    session,
                    recommendation_id=rec_id,
                    data=AssessmentCreate.model_validate(
                        {"status": "disputed", "assessed_on": "2026-11-30", "asserted_by": "press"}
                    ),
                )
            worker.run_once(db)
            alerts = [m for m in smtp.to("rita@example.org") if m is not confirm]
            assert len(alerts) == 1 and alerts[0]["Subject"].endswith(": Disputed")
            [hit] = receiver.received
            assert Webhook(secret).verify(hit.body, hit.headers)["data"]["after"] == "disputed"
            page.reload()
            expect(page.get_by_role("cell", name="delivered")).to_have_count(2)

            # Sign out; reset the password from an e-mailed link.
            page.get_by_role("button", name="Sign out").click()
            page.goto(base + "/signin")
            page.get_by_role("link", name="Forgot your password?").click()
            page.locator("#f-email").fill("rita@example.org")
            page.get_by_role("button", name="Send me a link").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
            worker.run_once(db)
            reset = smtp.to("rita@example.org")[-1]
            page.goto(local(smtp.link(reset, "/password-reset/"), base))
            page.locator("#f-password").fill(NEW_PASSWORD)
            page.locator("#f-password2").fill(NEW_PASSWORD)
            page.get_by_role("button", name="Set the password").click()
            expect(page.get_by_role("status")).to_have_text("Your password is changed: sign in with it.")
            page.get_by_label("E-mail address").fill("rita@example.org")
            page.get_by_label("Password").fill(NEW_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        finally:
            browser.close()

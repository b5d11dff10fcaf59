"""The editor's round trip in a real browser: headless Chromium (Debian's `chromium`)
driven by Playwright, against the app served by uvicorn on a free loopback port.

Run `pytest -m browser` for this test alone. Where Chromium is missing the test is skipped,
except in CI (CI=true), where a missing browser is a failure.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import migrate
from app.db import Database
from app.schemas.regulator import RegulatorCreate
from app.services.record import regulators

# Re-exported for the browser tests that still import them from here.
from tests.browser_helpers import CHROMIUM_ARGS, chromium_or_skip, free_port, serve  # noqa: F401
from tests.web_helpers import (
    PASSWORD,
    fast_passwords,  # noqa: F401  (autouse: cheap argon2 costs)
    make_user,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    make_user(db, "editor@example.org")
    with db.transaction(actor="test") as session:
        regulators.create(
            session,
            data=RegulatorCreate(
                name="Office of the Privacy Commissioner of Canada", short_name="OPC", jurisdiction="CA"
            ),
        )
    try:
        with serve(db) as base:
            yield base
    finally:
        db.dispose()


def test_editor_round_trip_in_chromium(server: str) -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            # Sign in.
            page.goto(server + "/")
            page.get_by_role("link", name="Sign in").click()
            page.get_by_label("E-mail address").fill("editor@example.org")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("button", name="Sign out")).to_be_visible()

            # An organisation.
            page.goto(server + "/organisations")
            page.get_by_role("link", name="Add an organisation").click()
            page.locator("#f-name").fill("Clearview AI, Inc.")
            page.locator("#f-aliases").fill("Clearview")
            page.locator("#f-country").fill("US")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Clearview AI, Inc.")

            # A decision, with the regulator and the organisation as its rows.
            page.goto(server + "/decisions")
            page.get_by_role("link", name="Add a decision").click()
            page.locator("#f-reference").fill("PIPEDA Findings #2021-001")
            page.locator("#f-title").fill("Clearview AI: illegal mass surveillance")
            page.locator("#f-kind").select_option("report_of_findings")
            page.locator("#f-issued_on").fill("2021-02-03")
            page.locator("#f-regulators-0-regulator_id").fill("Office of the Privacy Commissioner of Canada")
            page.locator("#f-organisations-0-organisation_id").fill("Clearview AI, Inc.")
            page.locator("#f-findings-0-text").fill("Collected images without consent.")
            # The small script adds rows to a repeated group; the added row is numbered on.
            page.locator("#f-regulators").get_by_role("button", name="Add a row").click()
            expect(page.locator("#f-regulators-2-regulator_id")).to_be_focused()
            expect(page.locator("[name='regulators.2.role']")).to_have_count(1)
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                "Clearview AI: illegal mass surveillance"
            )
            decision_url = page.url

            # Two recommendations.
            for text in ("Stop offering the service in Canada", "Delete the images already collected"):
                page.get_by_role("link", name="Add a recommendation").click()
                page.locator("#f-organisation_id").fill("Clearview AI, Inc.")
                page.locator("#f-text").fill(text)
                with page.expect_navigation():
                    page.get_by_role("button", name="Save").click()
                assert page.url.startswith(decision_url + "#rec-"), page.url
                expect(page.locator("article.rec", has_text=text)).to_be_visible()
            expect(page.locator("#decision-compliance .badge")).to_have_text("Pending")

            # An assessment on each: one complied, one not.
            for index, status in ((0, "complied"), (1, "not_complied")):
                page.get_by_role("link", name="Log an assessment").nth(index).click()
                page.locator("#f-status").select_option(status)
                page.locator("#f-assessed_on").fill("2021-06-01")
                page.locator("#f-asserted_by").select_option("regulator")
                page.locator("#f-note").fill(f"Checked by the commissioner: {status}")
                page.locator("#f-source_url").fill("https://www.priv.gc.ca/en/")
                with page.expect_navigation():
                    page.get_by_role("button", name="Log it").click()
                assert page.url.split("#")[0] == decision_url

            badge = page.locator("#decision-compliance .badge")
            expect(badge).to_have_text("Partially complied")
            assert badge.get_attribute("data-status") == "partially_complied"

            # Open the first recommendation's timeline.
            history = page.locator("details.history").first
            timeline = history.locator("ol.timeline")
            expect(timeline).to_be_hidden()
            history.locator("summary").click()
            expect(timeline).to_be_visible()
            expect(timeline).to_contain_text("Checked by the commissioner: complied")
            expect(timeline.locator(".badge")).to_have_text("Complied")
            expect(timeline.get_by_role("link", name="https://www.priv.gc.ca/en/")).to_be_visible()

            # Sign out.
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("link", name="Sign in")).to_be_visible()
            page.goto(server + "/decisions/new")
            expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
            assert not errors, errors
        finally:
            browser.close()


def test_pages_fit_a_phone_screen(server: str) -> None:
    """At 390 CSS pixels wide no page scrolls sideways, and the skip link leads to the content."""
    executable = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 800})
            for path in ("/", "/decisions", "/regulators", "/regulators/1", "/signin"):
                page.goto(server + path)
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            page.goto(server + "/")
            page.keyboard.press("Tab")
            skip = page.get_by_role("link", name="Skip to content")
            expect(skip).to_be_focused()
            expect(skip).to_be_in_viewport()
        finally:
            browser.close()

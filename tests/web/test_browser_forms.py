"""The forms in a real browser (Debian's Chromium via Playwright) at a phone's and a desktop's
width: choosing by typing (and without JavaScript), adding a new party, deleting with a
confirmation, a retracted assessment shown, and a stale edit's differences.

Screenshots go to `$BROWSER_SHOTS` (a directory) when it is set.
"""

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import migrate
from app.db import Database
from app.schemas.decision import DecisionCreate
from app.schemas.organisation import OrganisationCreate, OrganisationUpdate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.services.record import decision_edits, organisations, recommendations, regulators
from tests.web.test_browser import CHROMIUM_ARGS, chromium_or_skip, serve
from tests.web_helpers import (
    PASSWORD,
    fast_passwords,  # noqa: F401  (autouse: cheap argon2 costs)
    make_user,
)

pytestmark = pytest.mark.browser
WIDTHS = (390, 1366)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    make_user(db, "editor@example.org")
    with db.transaction(actor="test") as session:
        session.info["actor_name"] = "Test"
        reg = regulators.create(
            session,
            data=RegulatorCreate(name="Office of the Privacy Commissioner of Canada", jurisdiction="CA"),
        )
        org = organisations.create(
            session, data=OrganisationCreate(name="Clearview AI, Inc.", aliases=["Clearview"])
        )
        for i in range(60):
            organisations.create(session, data=OrganisationCreate(name=f"Company {i:02d} Ltd"))
        decision = decision_edits.create(
            session,
            data=DecisionCreate.model_validate(
                {
                    "reference": "PIPEDA-2021-001",
                    "title": "Clearview AI: illegal mass surveillance",
                    "kind": "report_of_findings",
                    "issued_on": "2021-02-03",
                    "regulators": [{"regulator_id": reg.id, "role": "lead"}],
                    "organisations": [{"organisation_id": org.id, "role": "respondent"}],
                }
            ),
        )
        rec = recommendations.create(
            session, data=RecommendationCreate(decision_id=decision.id, organisation_id=org.id, text="Stop")
        )
        wrong = recommendations.add_assessment(
            session,
            recommendation_id=rec.id,
            data=AssessmentCreate(
                status="complied", assessed_on=dt.date(2021, 6, 1), asserted_by="regulator"
            ),
        )
        recommendations.retract_assessment(
            session,
            recommendation_id=rec.id,
            assessment_id=wrong.id,
            reason="Logged on the wrong recommendation",
        )
    try:
        with serve(db) as base:
            yield base, db
    finally:
        db.dispose()


def shoot(page: Any, name: str) -> None:
    folder = os.environ.get("BROWSER_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page: Any, base: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("E-mail address").fill("editor@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def fill_decision(page: Any, reference: str) -> None:
    page.locator("#f-reference").fill(reference)
    page.locator("#f-title").fill(f"Decision {reference}")
    page.locator("#f-kind").select_option("report_of_findings")
    page.locator("#f-issued_on").fill("2022-05-01")
    page.locator("#f-regulators-0-regulator_id").fill("Office of the Privacy Commissioner of Canada")


@pytest.mark.parametrize("width", WIDTHS)
def test_forms_in_chromium(site: tuple[str, Database], width: int) -> None:
    base, db = site
    executable = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            sign_in(page, base)

            # Choosing by typing: suggestions come as one types.
            page.goto(base + "/decisions/new")
            fill_decision(page, f"T-{width}")
            party = page.locator("#f-organisations-0-organisation_id")
            party.press_sequentially("clear", delay=30)
            options = page.locator("#f-organisations-0-organisation_id-list option")
            expect(options).to_have_count(1)
            assert options.first.get_attribute("value") == "Clearview AI, Inc. (#1)"
            party.fill("Clearview AI, Inc. (#1)")
            # A new party, not yet in the record, on the second row.
            page.locator("#f-organisations-1-organisation_id").fill(f"Newco {width} Ltd")
            page.locator("#f-organisations-1-create").check()
            shoot(page, f"chooser-{width}")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Decision T-{width}")
            expect(page.get_by_role("main")).to_contain_text(f"Newco {width} Ltd")
            assert page.evaluate("document.documentElement.scrollWidth") <= width

            # Delete it, with a confirmation page.
            page.get_by_role("link", name="Delete").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Delete decision T-{width}?")
            shoot(page, f"delete-{width}")
            page.get_by_role("button", name="Delete it").click()
            expect(page.locator(".notice")).to_contain_text("Deleted.")

            # The retracted assessment, marked in the history.
            page.goto(base + "/recommendations/1")
            retracted = page.locator("li.retracted")
            expect(retracted).to_contain_text("retracted")
            expect(retracted).to_contain_text("Logged on the wrong recommendation")
            expect(page.locator("dl.facts")).to_contain_text("Pending")
            shoot(page, f"retracted-{width}")

            # A stale edit: someone else changes the organisation while the form is open.
            page.goto(base + "/organisations/1/edit")
            page.locator("#f-name").fill("Clearview AI")
            with db.transaction(actor="test") as session:
                organisations.update(
                    session, organisation_id=1, data=OrganisationUpdate(country="US"), expected_version=None
                )
            page.get_by_role("button", name="Save").click()
            diff = page.locator("table.diff")
            expect(diff).to_contain_text("country")
            expect(diff.locator("tr", has_text="name").locator("td.mine")).to_have_text("Clearview AI")
            expect(page.locator("#f-name")).to_have_value("Clearview AI")
            shoot(page, f"stale-{width}")
            with context.expect_page() as opened:
                page.get_by_role("link", name="See the current record").click()
            opened.value.close()
            expect(page.locator("#f-name")).to_have_value("Clearview AI")
            page.get_by_role("button", name="Save").click()  # not resolved: refused again
            expect(page.get_by_role("alert")).to_contain_text("was not ticked")
            page.get_by_label("I have compared them").check()
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Clearview AI")
            with db.transaction(actor="test") as session:  # as it was, for the next width
                organisations.update(
                    session,
                    organisation_id=1,
                    data=OrganisationUpdate(name="Clearview AI, Inc.", country=None),
                    expected_version=None,
                )
            # The refused saves answer 409 (their page, as the browser notes); nothing else failed.
            assert [e for e in errors if "status of 409" not in e] == [], errors
            assert len(errors) == 2

            # Without JavaScript: what was typed is resolved on the server.
            plain = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
            page = plain.new_page()
            page.set_default_timeout(15_000)
            sign_in(page, base)
            page.goto(base + "/decisions/new")
            fill_decision(page, f"N-{width}")
            page.locator("#f-organisations-0-organisation_id").fill("Clearview AI")
            page.get_by_role("button", name="Save").click()
            error = page.locator("#f-organisations-0-organisation_id-error")
            expect(error).to_contain_text(
                "no organisation is named 'Clearview AI'. Did you mean: Clearview AI, Inc. (#1)?"
            )
            shoot(page, f"nojs-{width}")
            page.locator("#f-organisations-0-organisation_id").fill("clearview")  # its alias
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(f"Decision N-{width}")
            expect(page.get_by_role("main")).to_contain_text("Clearview AI, Inc.")
        finally:
            browser.close()

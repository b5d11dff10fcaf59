"""An editor reviews twenty machine readings in a real browser (Debian's Chromium through
Playwright) with the keyboard alone: Enter starts, a digit chooses a status, Enter saves and
opens the next, j and k move; and the page passes axe-core."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app import migrate
from app.db import Database
from app.models import Assessment
from app.services.exchange.csv import importer as csv_import
from app.services.exchange.csv import mapping
from app.vocab import Review
from tests.browser_helpers import EDITOR, axe_violations, chromium, serve, sign_in
from tests.exchange.test_classify import measured_files
from tests.web_helpers import fast_passwords, make_user  # noqa: F401  (autouse: cheap argon2 costs)

pytestmark = pytest.mark.browser
REPLIES = ("Accepted and implemented.", "We reject this.", "We are considering it.", "Will look at it.")


@pytest.fixture
def queue_site(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    make_user(db, EDITOR)
    m, c = measured_files(tmp_path)
    rows = ["ref,num,made,who,text,reply"]
    for i in range(24):
        rows.append(f"{i // 4},{i:03d}/21,2021-03-0{1 + i % 9},Acme,Do {i},{REPLIES[i % 4]}")
    c.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with db.transaction(actor="test") as session:
        csv_import.import_csv_file(session, mapping.load(m), c)
    try:
        with serve(db) as base:
            yield base, db
    finally:
        db.dispose()


def test_an_editor_reviews_twenty_readings_with_the_keyboard_alone(queue_site: tuple[str, Database]) -> None:
    from playwright.sync_api import expect

    base, db = queue_site
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page: Any = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, base)
        page.goto(base + "/review")
        expect(page.locator("#review-progress")).to_contain_text("0 of 24 reviewed")
        assert axe_violations(page) == []
        page.keyboard.press("Enter")  # "Start reviewing" has the focus
        expect(page.locator("#review-form")).to_be_visible()
        assert axe_violations(page) == []
        # j and k move without saving.
        first = page.url
        page.keyboard.press("j")
        page.wait_for_url(lambda url: url != first)
        page.keyboard.press("k")
        page.wait_for_url(first)
        for done in range(20):
            before = page.url
            # Every fourth is corrected to "disputed" (key 5); the others confirmed as read.
            if done % 4 == 0:
                page.keyboard.press("5")
                expect(page.locator('input[name="status"][value="disputed"]')).to_be_checked()
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url, before=before: url != before)
            expect(page.locator("#review-progress strong")).to_have_text(str(done + 1))
        assert errors == []
    with db.transaction(write=False) as session:
        reviewed = session.scalar(
            select(func.count()).where(Assessment.review.in_([Review.confirmed.value, Review.rejected.value]))
        )
        corrections = session.scalar(select(func.count()).where(Assessment.corrects_id.is_not(None)))
    assert (reviewed, corrections) == (20, 5)

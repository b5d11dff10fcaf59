"""The lists in a real browser (Debian's Chromium through Playwright), on a desktop and a phone:
words not codes, the total, sorting by a column heading, the CSV link with the same filters,
`UK` finding GB, the key columns in view at 390 px and the filters folded there.

Screenshots of both widths go to tmp_path (and to $SCREENSHOTS when set, to look at them).
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app import migrate
from app.db import Database
from app.services import demo
from tests.web.test_browser import CHROMIUM_ARGS, chromium_or_skip, serve

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[a-z]+(_[a-z]+)+$")  # partially_complied, in_force, report_of_findings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('lists') / 'lists.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction(actor="test") as session:
        demo.load(session)
    try:
        with serve(db) as base:
            yield base
    finally:
        db.dispose()


def _shots(page: Any, name: str, tmp_path: Path) -> None:
    targets = [tmp_path]
    if os.environ.get("SCREENSHOTS"):
        targets.append(Path(os.environ["SCREENSHOTS"]))
    for target in targets:
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_decision_list_in_chromium(site: str, width: int, tmp_path: Path) -> None:
    executable = chromium_or_skip()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_default_timeout(15_000)
            page.goto(site + "/decisions")

            # Words, not codes, in the badges and the options.
            badges = page.locator("table.cards .badge").all_inner_texts()
            assert badges and not [b for b in badges if CODE.match(b.strip())], badges
            options = page.locator("#f-kind option").all_text_contents()
            assert any(o.startswith("Report of findings (") for o in options), options
            assert not [o for o in options if CODE.match(o.split(" (")[0])]

            # The total.
            total = page.locator("#list-total")
            expect(total).to_contain_text(re.compile(r"^\d+ decisions"))
            n = int(total.inner_text().split()[0])
            expect(page.locator("#list-range")).to_have_text(f"1\u2013{min(n, 50)}")

            # The filters: open on a desktop, folded behind their summary on a phone.
            form = page.locator("form.filters")
            if width < 600:
                expect(form).to_be_hidden()
                _shots(page, f"decisions-{width}-folded", tmp_path)
                page.locator("details.filter-fold > summary").click()
                expect(form).to_be_visible()
            else:
                expect(form).to_be_visible()
                expect(page.locator("details.filter-fold > summary")).to_be_hidden()

            # UK finds the GB regulator's decisions.
            page.locator("#f-jurisdiction").fill("UK")
            page.get_by_role("button", name="Apply").click()
            page.wait_for_url(re.compile(r"jurisdiction=UK"))
            rows = page.locator("table.cards tbody tr")
            assert rows.count() >= 1
            for text in rows.all_inner_texts():
                assert "(GB)" in text, text

            # Sort by the penalty heading: largest first, the same order as the API.
            page.goto(site + "/decisions")
            page.locator("th a.sort", has_text="Penalty").click()
            page.wait_for_url(re.compile(r"sort=-penalty_amount"))
            expect(page.locator("th[aria-sort=descending]")).to_contain_text("Penalty")
            api = page.request.get(site + "/api/v1/decisions?sort=-penalty_amount&limit=3").json()
            first = page.locator("table.cards tbody tr").first
            expect(first).to_contain_text(api["items"][0]["title"])

            # The key columns of a row with a penalty stay in view on the screen's width.
            for cell in ("col-respondents", "col-compliance", "col-standing", "col-penalty"):
                box = first.locator(f"td.{cell}").bounding_box()
                assert box is not None and box["width"] > 0, cell
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (cell, box)
                expect(first.locator(f"td.{cell}")).to_be_visible()
            _shots(page, f"decisions-{width}", tmp_path)

            # The CSV link carries the same filters and order, and answers CSV.
            page.goto(site + "/decisions?jurisdiction=UK&sort=-penalty_amount")
            href = page.locator("#download-csv").get_attribute("href")
            assert href is not None and "jurisdiction=GB" in href and "sort=-penalty_amount" in href
            csv = page.request.get(site + href)
            assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
            lines = csv.text().splitlines()
            assert len(lines) == n_gb(page, site) + 1
        finally:
            browser.close()


def n_gb(page: Any, site: str) -> int:
    """How many decisions the API finds for GB (the CSV's rows)."""
    body = page.request.get(site + "/api/v1/decisions?jurisdiction=GB&limit=500").json()
    return len(body["items"])

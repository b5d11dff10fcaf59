"""The reading pages in a real browser (Debian's Chromium through Playwright), on the demo
record: what a reader sees, at a phone's and a desktop's width."""

import re
from typing import Any

import pytest

from app.db import Database
from tests.browser_helpers import DESKTOP, PHONE, decision_url, sign_in
from tests.web_helpers import PASSWORD

pytestmark = pytest.mark.browser


RGB = re.compile(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)")


def luminance(css: str) -> float:
    found = RGB.fullmatch(css)
    assert found, css
    assert found.group(4) in (None, "1"), f"a see-through colour: {css}"

    def channel(v: str) -> float:
        c = int(v) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(found.group(i)) for i in (1, 2, 3))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_text_typed_in_the_header_search_box_can_be_read(
    demo_site: tuple[str, Database], chrome: Any, viewport: dict[str, int]
) -> None:
    base, _ = demo_site
    page = chrome.new_page(viewport=viewport)
    try:
        for path in ("/", "/decisions", "/signin"):
            page.goto(base + path)
            box = page.locator("#site-search")
            box.fill("Clearview")
            colour, background = box.evaluate(
                "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
            )
            assert contrast(colour, background) >= 4.5, (path, colour, background)
            placeholder = box.evaluate("e => getComputedStyle(e, '::placeholder').color")
            assert contrast(placeholder, background) >= 4.5, (path, placeholder, background)
    finally:
        page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_notice_after_a_save_is_in_view_and_hides_nothing(
    demo_site: tuple[str, Database], chrome: Any, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    base, db = demo_site
    page = chrome.new_page(viewport=viewport)
    try:
        sign_in(page, base)
        page.goto(base + decision_url(db, "PIPEDA Findings #2021-001"))
        # The last recommendation's form leads back to it, far down the page.
        page.get_by_role("link", name="Log an assessment").last.click()
        page.locator("#f-status").select_option("complied")
        page.locator("#f-assessed_on").fill("2022-03-01")
        page.locator("#f-asserted_by").select_option("regulator")
        with page.expect_navigation():
            page.get_by_role("button", name="Log it").click()
        assert "#rec-" in page.url
        notice = page.get_by_role("status")
        expect(notice).to_have_text("Assessment logged.")
        expect(notice).to_be_in_viewport()
        # The recommendation the page opened at is in view, below the notice, not under it.
        target = page.locator("article.rec:target h3")
        expect(target).to_be_in_viewport()
        assert page.evaluate("window.scrollY") > 200  # the page did open at the anchor
        box, under = notice.bounding_box(), target.bounding_box()
        assert box is not None and under is not None
        assert under["y"] >= box["y"] + box["height"], (box, under)
    finally:
        page.close()


def test_sign_in_from_a_filtered_list_comes_back_to_it(demo_site: tuple[str, Database], chrome: Any) -> None:
    from playwright.sync_api import expect

    base, _ = demo_site
    page = chrome.new_page(viewport=DESKTOP)
    try:
        address = "/decisions?kind=fine&tag=facial-recognition&sort=-issued_on"
        page.goto(base + address)
        page.get_by_role("link", name="Sign in").click()
        page.get_by_label("E-mail address").fill("editor@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert page.url == base + address
    finally:
        page.close()


def test_the_whole_appeal_chain_and_the_print_stylesheet(
    demo_site: tuple[str, Database], chrome: Any
) -> None:
    from playwright.sync_api import expect

    base, db = demo_site
    page = chrome.new_page(viewport=PHONE)
    try:
        page.goto(base + decision_url(db, "[2023] UKFTT 819 (GRC)"))
        chain = page.locator("ol.chain > li")
        expect(chain).to_have_count(3)
        expect(chain.nth(0)).to_contain_text("ICO MPN Clearview AI Inc (2022)")
        expect(chain.nth(1)).to_contain_text("(this decision)")
        expect(chain.nth(2)).to_contain_text("Overturns [2023] UKFTT 819 (GRC)")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.goto(base + decision_url(db, "PIPEDA Findings #2021-001"))
        page.emulate_media(media="print")
        for hidden in ("header nav", "form.search", "footer.site", ".feeds"):
            expect(page.locator(hidden).first).to_be_hidden()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(255, 255, 255)"
        source = page.locator("main a[href^='http']").first
        after = source.evaluate("e => getComputedStyle(e, '::after').content")
        assert source.get_attribute("href") in after
    finally:
        page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_dashboard_charts_fit_the_screen_and_say_their_figures(
    demo_site: tuple[str, Database], chrome: Any, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    base, _ = demo_site
    page = chrome.new_page(viewport=viewport)
    try:
        page.goto(base + "/")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        for chart_id in ("chart-kinds", "chart-compliance", "chart-penalties-0", "chart-countries"):
            chart = page.locator(f"#{chart_id} svg[role='img']").first
            expect(chart).to_be_visible()
            box = chart.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (
                chart_id
            )
            # Every total at a bar's end is drawn inside the chart, at a readable size.
            for value in chart.locator("text.value").all():
                vb = value.bounding_box()
                assert vb is not None and vb["x"] + vb["width"] <= box["x"] + box["width"] + 1, chart_id
                assert float(value.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px")) >= 13
            # The bars do not overlap their row labels.
            label = chart.locator("text.label").first.bounding_box()
            bar = chart.locator("rect").first.bounding_box()
            assert label is not None and bar is not None and label["x"] + label["width"] < bar["x"], chart_id
        figures = page.locator("#chart-kinds details")
        figures.locator("summary").click()
        expect(figures.get_by_role("table")).to_contain_text("2022")
    finally:
        page.close()


def test_case_columns_404_favicon_and_robots_in_the_browser(
    demo_site: tuple[str, Database], chrome: Any
) -> None:
    from playwright.sync_api import expect

    base, db = demo_site
    page = chrome.new_page(viewport=PHONE)
    try:
        # A joint decision of four Canadian commissioners: once on its case page, all four named.
        page.goto(base + decision_url(db, "PIPEDA Findings #2021-001"))
        page.locator("dd a[href^='/cases/']").click()
        joint = page.locator(".side-by-side li", has_text="Joint investigation of Clearview AI")
        expect(joint).to_have_count(1)
        expect(joint).to_contain_text("jointly by")
        for name in ("Privacy Commissioner of Canada", "Alberta", "British Columbia", "Québec"):
            expect(joint).to_contain_text(name)
        # An address that names no record.
        response = page.goto(base + "/decisions/abc")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.locator("main")).not_to_contain_text("Input should be")
        # What browsers and crawlers ask every site for.
        icon = page.request.get(base + "/favicon.ico")
        assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
        robots = page.request.get(base + "/robots.txt")
        assert robots.status == 200 and "Disallow: /*/edit" in robots.text()
    finally:
        page.close()

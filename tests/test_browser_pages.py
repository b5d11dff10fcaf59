"""The reading pages in a real browser (Debian's Chromium through Playwright), on the demo
record: what a reader sees, at a phone's and a desktop's width."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from app import migrate
from app.db import Database
from app.services import demo
from tests.browser_helpers import DESKTOP, PHONE, chromium, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction(actor="test") as session:
        demo.load(session)
    try:
        with serve(db) as base:
            yield base, db
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    with chromium() as b:
        yield b


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
    site: tuple[str, Database], chrome: Any, viewport: dict[str, int]
) -> None:
    base, _ = site
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

"""Shared helpers of the browser tests: Debian's Chromium driven by Playwright, against the app
served by uvicorn on a free loopback port, and axe-core (from the packaged
`axe-playwright-python`, nothing downloaded) over a page.

Where Chromium is missing a browser test is skipped, except in CI (CI=true), where a missing
browser is a failure.
"""

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app import migrate
from app.db import Database
from app.main import create_app
from app.services import demo
from tests.web_helpers import PASSWORD, make_user

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _fail_or_skip(problem: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"The browser test cannot run in CI: {problem}.")
    pytest.skip(f"Browser test skipped: {problem}.")


def chromium_or_skip() -> str:
    path = shutil.which("chromium")
    if path is None:
        _fail_or_skip("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _fail_or_skip("the playwright package is not installed (pip install -e '.[test]')")
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve(db: Database) -> Iterator[str]:
    """The app on `db`, served by uvicorn on a free loopback port, for as long as the block runs."""
    port = free_port()
    config = uvicorn.Config(
        create_app(db), host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium (a Playwright `Browser`), closed after the block."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


EDITOR = "editor@example.org"


@contextmanager
def demo_served(folder: Path) -> Iterator[tuple[str, Database]]:
    """The demo record with an editor account (EDITOR, PASSWORD) in a database in `folder`,
    served for as long as the block runs: (base URL, database). A test module wraps it in a
    module-scoped fixture, and `chromium()` likewise, so its tests share one of each."""
    url = f"sqlite:///{folder / 'site.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction(actor="test") as session:
        demo.load(session)
    make_user(db, EDITOR)
    try:
        with serve(db) as base:
            yield base, db
    finally:
        db.dispose()


def sign_in(page: Any, base: str, email: str = EDITOR, password: str = PASSWORD) -> None:
    """Sign the page's browser context in through the sign-in form."""
    from playwright.sync_api import expect

    page.goto(base + "/signin")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def decision_url(db: Database, reference: str) -> str:
    """The page address of the decision with `reference`."""
    from sqlalchemy import select

    from app.models import Decision

    with db.transaction(write=False) as session:
        return (
            f"/decisions/{session.scalars(select(Decision.id).where(Decision.reference == reference)).one()}"
        )


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it stands, one line each (rule, impact, where).
    The axe.min.js is the one packaged in `axe-playwright-python`: nothing is downloaded."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for v in results.response["violations"]:
        targets = ", ".join(str(n["target"]) for n in v["nodes"][:3])
        found.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return found


# Fixtures (imported by tests/conftest.py, so every test module can ask for them).


@pytest.fixture(scope="module")
def chrome() -> Iterator[Any]:
    """One headless Chromium for a whole test module (skipped where there is none, outside CI)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Database]]:
    """The demo record with an editor account, served for a whole test module."""
    with demo_served(tmp_path_factory.mktemp("site")) as served:
        yield served

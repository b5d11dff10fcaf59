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
from typing import Any

import pytest
import uvicorn

from app.db import Database
from app.main import create_app

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


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium for the test (skipped where there is none, outside CI)."""
    with chromium() as b:
        yield b

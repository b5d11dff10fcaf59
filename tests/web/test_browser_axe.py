"""axe-core over every page state, at a phone's and a desktop's width, in English and in French:
0 violations.

axe-core is the copy packaged in `axe-playwright-python` (nothing is downloaded at test
time), run in Debian's Chromium by Playwright against the app serving the demo record.
"""

from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import Case, Organisation, Recommendation, Regulator
from tests.browser_helpers import DESKTOP, PHONE, axe_violations, decision_url, sign_in

pytestmark = pytest.mark.browser


def first_id(db: Database, model: Any) -> int:
    with db.transaction(write=False) as session:
        found: int = session.scalar(select(func.min(model.id)))
        return found


def reader_states(db: Database) -> list[str]:
    """The addresses of every page a reader can reach, in each of its states."""
    decision = decision_url(db, "PIPEDA Findings #2021-001")
    return [
        "/",
        "/?as_of=2022-06-01",
        "/?as_of=2000-01-01",  # an empty record: no charts
        "/?as_of=soon",  # a bad day, reported beside its field
        "/decisions",
        "/decisions?kind=fine&sort=-issued_on&limit=2",  # filtered, with a next page
        "/decisions?kind=nonsense",  # a bad filter
        "/decisions?q=no+such+words+anywhere",  # nothing found
        decision,
        decision + "?as_of=2021-06-01",
        decision_url(db, "[2023] UKFTT 819 (GRC)"),  # an appeal chain
        "/recommendations",
        "/recommendations?overdue=true",
        f"/recommendations/{first_id(db, Recommendation)}",
        "/organisations",
        f"/organisations/{first_id(db, Organisation)}",
        "/regulators",
        f"/regulators/{first_id(db, Regulator)}",
        "/cases",
        f"/cases/{first_id(db, Case)}",
        "/countries",
        "/countries?by=organisation&sort=name",
        "/countries?year=soon",  # a bad filter
        "/search",
        "/search?q=Clearview",
        "/search?q=" + "x" * 501,  # too long
        "/signin",
        "/password-reset",
        "/decisions/abc",  # a 404 page
        "/no/such/page",
    ]


def editor_states(db: Database) -> list[str]:
    decision = decision_url(db, "PIPEDA Findings #2021-001")
    decision_id = decision.rsplit("/", 1)[1]
    rec = first_id(db, Recommendation)
    return [
        "/decisions/new",
        decision + "/edit",
        f"/recommendations/new?decision_id={decision_id}",
        f"/recommendations/{rec}/edit",
        f"/recommendations/{rec}/assessments/new",
        "/organisations/new",
        f"/organisations/{first_id(db, Organisation)}/edit",
        "/regulators/new",
        f"/regulators/{first_id(db, Regulator)}/edit",
        "/cases/new",
        f"/cases/{first_id(db, Case)}/edit",
        "/account/password",
        "/account/two-factor",
        "/subscriptions",
        f"/follow?type=decision&id={decision_id}",
        decision,  # with the editor's links
    ]


# What the tests type into and press, in each language of the pages.
WORDS = {
    "en": {
        "email": "E-mail address",
        "password": "Password",
        "sign_in": "Sign in",
        "save": "Save",
        "wrong": "wrong password",
    },
    "fr": {
        "email": "Adresse courriel",
        "password": "Mot de passe",
        "sign_in": "Se connecter",
        "save": "Enregistrer",
        "wrong": "mot de passe erroné",
    },
}


def speak(context: Any, base: str, lang: str) -> None:
    """The browser's pages in `lang` from now on (the cookie the language switch sets)."""
    context.add_cookies([{"name": "lang", "value": lang, "url": base}])


def check(page: Any, base: str, states: list[str], viewport: dict[str, int], lang: str = "en") -> list[str]:
    problems = []
    for state in states:
        page.goto(base + state)
        # Open every folded part (assessment histories, the figures of a chart).
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        language = page.evaluate("document.documentElement.lang")
        if language != lang:
            problems.append(f"{state} is in {language!r}, not {lang!r}")
        problems += [f"{viewport['width']}px {language} {state}: {v}" for v in axe_violations(page)]
    return problems


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_a_reader_sees_has_an_accessibility_violation(
    demo_site: tuple[str, Database], chrome: Any, viewport: dict[str, int], lang: str
) -> None:
    base, db = demo_site
    context = chrome.new_context(viewport=viewport)
    speak(context, base, lang)
    page = context.new_page()
    words = WORDS[lang]
    try:
        states = reader_states(db)
        problems = check(page, base, states, viewport, lang)
        # The sign-in form refusing a wrong password.
        page.goto(base + "/signin")
        page.get_by_label(words["email"]).fill("nobody@example.org")
        page.get_by_label(words["password"]).fill("not the password")
        page.get_by_role("button", name=words["sign_in"]).click()
        page.get_by_text(words["wrong"], exact=False).first.wait_for()
        problems += [f"{viewport['width']}px {lang} sign-in refused: {v}" for v in axe_violations(page)]
        assert not problems, "\n".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_page_an_editor_sees_has_an_accessibility_violation(
    demo_site: tuple[str, Database], chrome: Any, viewport: dict[str, int], lang: str
) -> None:
    base, db = demo_site
    context = chrome.new_context(viewport=viewport)
    page = context.new_page()
    try:
        sign_in(page, base)
        speak(context, base, lang)
        page.reload()
        problems = [f"{viewport['width']}px {lang} signed in: {v}" for v in axe_violations(page)]
        problems += check(page, base, editor_states(db), viewport, lang)
        # A form refused with its errors shown beside the fields.
        page.goto(base + "/decisions/new")
        page.get_by_role("button", name=WORDS[lang]["save"]).click()
        page.locator(".field-error").first.wait_for()
        problems += [f"{viewport['width']}px decision form refused: {v}" for v in axe_violations(page)]
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_the_checker_finds_a_violation_where_there_is_one(chrome: Any) -> None:
    """The packaged axe-core runs and reports: an image without a text alternative is caught."""
    page = chrome.new_page()
    try:
        page.set_content(
            '<!doctype html><html lang="en"><title>t</title><main><img src="x.png"></main></html>'
        )
        found = axe_violations(page)
        assert any(v.startswith("image-alt (critical)") for v in found), found
    finally:
        page.close()

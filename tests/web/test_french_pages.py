"""The pages in French (issue 28, part 1): with the demo record, no text of the English catalogue
is left in a French page's visible text, and each page says its language and its alternates.

A text counts when it has two words or more and its French differs (a name such as "SHA-256" or
a word both languages share is not a sign of a missing translation); texts with a placeholder
are checked by their words around it."""

import re
from functools import cache

import lxml.html
import pytest
from babel.messages.pofile import read_po

from app import labels
from app.vocab import Role
from tests.conftest import Api
from tests.web.test_web_pages import PAGES, load_demo

# The reading pages of test_web_pages, and states and pages they do not visit.
PUBLIC_PAGES = [
    *PAGES,
    "/?as_of=2022-06-01",
    "/decisions?kind=nonsense",
    "/recommendations?overdue=true",
    "/countries",
    "/countries?by=organisation",
    "/search?q=Clearview",
    "/search?q=nothing+of+the+kind",
    "/about",
    "/password-reset",
    "/decisions/999999",
    "/no/such/page",
]
SIGNED_IN_PAGES = [
    "/follow?type=decision&id={decision}",
    "/subscriptions",
    "/decisions/new",
    "/decisions/{decision}/edit",
    "/recommendations/{recommendation}/assessments/new",
    "/recommendations/{recommendation}/edit",
    "/organisations/new",
    "/duplicates",
]


@cache
def english_texts() -> list[str]:
    """The English catalogue's texts of two words or more whose French differs, each as the
    pieces a page shows (split at its placeholders and markup)."""
    french = labels.translations("fr")
    with (labels.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    pieces: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        for text in ids:
            singular = isinstance(message.id, str)
            translated = french.gettext(text) if singular else french.ngettext(text, text, 1)
            if translated == text:
                continue
            for piece in re.split(r"%\(\w+\)s|<[^>]+>", text):
                piece = " ".join(piece.split()).strip(" ,.;:()")
                if len(piece.split()) >= 2:
                    pieces.add(piece)
    return sorted(pieces, key=len, reverse=True)


def visible_text(html: str) -> str:
    tree = lxml.html.fromstring(html)
    for hidden in tree.xpath("//script|//style|//head"):
        hidden.drop_tree()
    return " ".join(tree.text_content().split())


def english_left(html: str, data: set[str]) -> list[str]:
    text = visible_text(html)
    return [piece for piece in english_texts() if piece in text and not any(piece in d for d in data)]


def record_texts(api: Api) -> set[str]:
    """The record's own words (titles, texts, names): English, and not the site's to translate."""
    found: set[str] = set()
    for noun in ("decisions", "recommendations", "organisations", "regulators"):
        path = f"/api/v1/{noun}"
        for item in api.ok(api.get(path, params={"limit": 200}))["items"]:
            for key in ("title", "text", "name", "summary"):
                if item.get(key):
                    found.add(" ".join(str(item[key]).split()))
            for finding in item.get("findings") or []:
                found.add(" ".join(finding["text"].split()))
    return found


def test_the_english_texts_are_there_to_find() -> None:
    texts = english_texts()
    assert "Partially complied" in texts and "Recommendations by compliance status" in texts
    assert "The record as it stood on" in texts


def test_every_main_page_is_french_throughout(api: Api) -> None:
    ids = load_demo(api)
    data = record_texts(api)
    api.client.cookies.set("lang", "fr")
    problems = {}
    for template in PUBLIC_PAGES:
        path = template.format(**ids)
        response = api.get(path)
        assert response.status_code in (200, 404, 422), (path, response.status_code)
        assert '<html lang="fr">' in response.text, path
        assert 'hreflang="en"' in response.text and 'hreflang="x-default"' in response.text, path
        left = english_left(response.text, data)
        if left:
            problems[path] = left
    feed = api.get("/feeds/decisions.atom", headers={"Accept": "text/html"})
    assert feed.status_code == 200 and '<html lang="fr">' in feed.text
    if english_left(feed.text, data):
        problems["feed"] = english_left(feed.text, data)
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.parametrize("role", [Role.editor])
def test_the_signed_in_pages_are_french_too(api: Api, role: Role) -> None:
    ids = load_demo(api)
    data = record_texts(api)
    api.sign_in(role)
    api.client.cookies.set("lang", "fr")
    problems = {}
    for template in SIGNED_IN_PAGES:
        path = template.format(**ids)
        response = api.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert '<html lang="fr">' in response.text, path
        left = english_left(response.text, data)
        if left:
            problems[path] = left
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())

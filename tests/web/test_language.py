"""The reader's language (issue 28, part 1): `?lang=` (kept in a cookie), the cookie,
`Accept-Language`, English; the pages say theirs and offer the other; numbers, amounts and
dates follow it; a French reader never gets an English page from a cache."""

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from app import formats, labels, language
from app.vocab import Status
from tests.conftest import Api


def test_the_language_is_chosen_by_the_query_the_cookie_then_accept_language() -> None:
    assert language.choose(None, None, None) == "en"
    assert language.choose(None, None, "fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert language.choose(None, None, "de-DE,de;q=0.9,fr;q=0.5,en;q=0.4") == "fr"
    assert language.choose(None, None, "en;q=0.2, fr;q=0.9") == "fr"
    assert language.choose(None, None, "fr;q=0, en") == "en"
    assert language.choose(None, None, "de, it") == "en"
    assert language.choose(None, "fr", "en") == "fr"
    assert language.choose("en", "fr", "fr") == "en"
    assert language.choose("fr-CA", None, None) == "fr"
    # An unknown language asked for: English, no error.
    assert language.choose("de", "fr", "fr") == "en"


def test_labels_and_forms_follow_the_language() -> None:
    assert labels.label(Status.partially_complied) == "Partially complied"
    with language.speaking("fr"):
        assert labels.label(Status.partially_complied) == "Partiellement respectée"
        assert labels.explanation("not_complied", Status) == (
            "L\u2019organisation n\u2019a pas fait ce qui était demandé."
        )
        assert ("complied", "Respectée") in labels.choices(Status)
        assert formats.number(40969) == "40\u202f969"
        assert formats.money(Decimal("65200000"), "EUR") == "65\u202f200\u202f000,00\u00a0€"
        assert formats.money_said(Decimal("9000000"), "EUR") == "9\u202f000\u202f000\u00a0€"
        assert formats.dated(dt.date(2021, 2, 3)) == "3 février 2021"
        assert formats.dated(dt.date(2021, 2, 3), "month") == "février 2021"
        assert formats.dated(dt.date(2013, 1, 1), "year") == "2013"
        assert formats.percent(0.125) == "12,5\u00a0%"
    # English keeps the forms the pages always had.
    assert formats.number(40969) == "40,969"
    assert formats.money(Decimal("65200000"), "EUR") == "65,200,000.00 EUR"
    assert formats.money_said(Decimal("9000000"), "EUR") == "EUR 9,000,000"
    assert formats.dated(dt.date(2021, 2, 3)) == "2021-02-03"
    assert formats.dated(dt.date(2021, 2, 3), "month") == "February 2021"
    assert language.current() == "en"


def test_a_page_asked_in_french_says_so_offers_english_and_remembers(api: Api) -> None:
    english = api.get("/decisions")
    assert english.status_code == 200
    assert '<html lang="en">' in english.text
    assert "set-cookie" not in english.headers

    french = api.get("/decisions", params={"lang": "fr", "sort": "title"})
    assert french.status_code == 200
    assert '<html lang="fr">' in french.text
    assert french.headers["content-language"] == "fr"
    assert ">Décisions<" in french.text
    cookie = french.headers["set-cookie"]
    assert cookie.startswith("lang=fr;") and "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie
    assert french.headers["cache-control"] == "no-store"
    # The alternates and the switch keep the page's query.
    for code in ("en", "fr"):
        link = f'hreflang="{code}" href="http://testserver/decisions?sort=title&amp;lang={code}">'
        assert link in french.text
    assert 'hreflang="x-default" href="http://testserver/decisions?sort=title">' in french.text
    switch = french.text.split('<nav class="languages"')[1].split("</nav>")[0]
    assert 'aria-current="true">Français</a>' in switch and ">English</a>" in switch

    # The cookie keeps it (the test client sends it back), and a second ?lang=fr sets nothing.
    kept = api.get("/recommendations")
    assert '<html lang="fr">' in kept.text and ">Recommandations<" in kept.text
    assert "set-cookie" not in api.get("/decisions", params={"lang": "fr"}).headers
    back = api.get("/recommendations", params={"lang": "en"})
    assert '<html lang="en">' in back.text and back.headers["set-cookie"].startswith("lang=en;")


def test_accept_language_and_an_unknown_language(api: Api) -> None:
    page = api.get("/decisions", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.text and "set-cookie" not in page.headers
    unknown = api.get("/decisions", params={"lang": "de"}, headers={"Accept-Language": "fr"})
    assert unknown.status_code == 200 and '<html lang="en">' in unknown.text


def test_a_french_reader_never_gets_an_english_304(api: Api) -> None:
    english = api.get("/decisions")
    etag = english.headers["etag"]
    assert "Accept-Language" in english.headers["vary"]
    assert api.get("/decisions", headers={"If-None-Match": etag}).status_code == 304
    french = api.get("/decisions", headers={"If-None-Match": etag, "Accept-Language": "fr"})
    assert french.status_code == 200 and '<html lang="fr">' in french.text
    assert french.headers["etag"] != etag
    again = {"If-None-Match": french.headers["etag"], "Accept-Language": "fr"}
    assert api.get("/decisions", headers=again).status_code == 304
    # A reader whose only cookie is the language is still anonymous (public, 304 before the route).
    api.client.cookies.set("lang", "fr")
    chosen = api.get("/decisions")
    assert '<html lang="fr">' in chosen.text and chosen.headers["cache-control"].startswith("public")
    assert chosen.headers["etag"] not in (etag,)
    assert api.get("/decisions", headers={"If-None-Match": chosen.headers["etag"]}).status_code == 304
    assert api.get("/decisions", headers={"If-None-Match": etag}).status_code == 200


def test_the_language_cookie_is_secure_over_https(app: Any) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        cookie = client.get("/decisions", params={"lang": "fr"}).headers["set-cookie"]
    assert cookie.startswith("lang=fr;") and "Secure" in cookie and "SameSite=Lax" in cookie


def test_the_vocabulary_answers_304_in_its_own_language(api: Api) -> None:
    french = api.get("/api/v1/vocabulary", headers={"Accept-Language": "fr"})
    again = api.get(
        "/api/v1/vocabulary", headers={"Accept-Language": "fr", "If-None-Match": french.headers["etag"]}
    )
    assert again.status_code == 304
    english = api.get("/api/v1/vocabulary", headers={"If-None-Match": french.headers["etag"]})
    assert english.status_code == 200 and english.json()["language"] == "en"

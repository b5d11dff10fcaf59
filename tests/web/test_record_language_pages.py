"""Records in their own language on the pages (issue 28, part 2): the demo's Canadian joint
report, issued in English and translated into French, read in French shows its French title,
summary and recommendations, each said to be a translation with the original beside it; read
in English, the original, saying which languages it is also in."""

import re

from tests.conftest import Api
from tests.web.test_web_pages import load_demo

FRENCH_TITLE = "Enquête conjointe sur Clearview AI, Inc. par le Commissariat à la protection"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_joint_report_read_in_french_and_in_english(api: Api) -> None:
    ids = load_demo(api)
    url = f"/decisions/{ids['decision']}"
    english = api.get(url).text
    assert "<h1 lang=\"en\">Joint investigation of Clearview AI, Inc." in english
    assert FRENCH_TITLE not in english
    assert re.search(r'id="decision-language">English <span class="muted">\(also in French\)', english)
    assert 'id="translated-note"' not in english and 'id="original"' not in english

    french = api.get(url, params={"lang": "fr"}).text
    assert f'<h1 lang="fr">{FRENCH_TITLE}' in french
    assert "Traduit de l&#39;original en anglais." in french or "Traduit de l'original en anglais." in french
    # The original beside it, marked as English for screen readers.
    original = french[french.index('<details id="original"') :]
    original = original[: original.index("</details>")]
    assert '<p lang="en"><strong>Joint investigation of Clearview AI, Inc.' in original
    assert "mass surveillance" in original
    assert 'lang="fr">La collecte par Clearview AI de milliards' in french
    # Its recommendations in French, each said to be translated.
    assert 'lang="fr">Cesser de recueillir des images de personnes au Canada.</span>' in french
    assert text_of(french).count("(traduit)") == 3
    # A decision with no French translation stays in its language, marked as such.
    listed = api.get("/decisions", params={"lang": "fr"}).text
    assert f'<span lang="fr">{FRENCH_TITLE}' in listed
    assert '<span lang="en">Order and fine against Clearview AI</span>' in listed

    rec = f"/recommendations/{ids['recommendation']}"
    page = api.get(rec, params={"lang": "fr"}).text
    assert 'class="prose lead" lang="fr">Cesser d' in page
    assert 'id="original"' in page and 'lang="en">Stop offering its facial-recognition services' in page
    assert 'id="original"' not in api.get(rec, params={"lang": "en"}).text


def test_a_regulators_page_shows_fifty_of_each_and_the_rest_a_link_away(api: Api) -> None:
    """Big records stay readable (issue 28, part 5): a regulator with 60 decisions and as many
    recommendations shows the newest 50 of each, its whole counts by status (each a link to
    those recommendations), and links to all of them."""
    regulator = api.regulator("UN Human Rights Council", "UN")
    org = api.organisation("Chile")
    for i in range(60):
        decision = api.decision(regulator["id"], reference=f"UPR {i}", issued_on=f"20{10 + i % 10}-01-01")
        api.recommendation(decision["id"], org["id"], f"Ratify treaty {i}.")
    page = api.get(f"/regulators/{regulator['id']}").text
    start = page.index('<ol class="timeline">')
    timeline = page[start : page.index("</ol>", start)]
    assert timeline.count("<li>") == 50
    recs = page[page.index('id="recs-title"') :]
    assert recs.count("/recommendations/") == 50
    assert f"/recommendations?regulator_id={regulator['id']}&amp;status=pending" in recs
    assert "60</a>" in recs  # the whole count, a link
    assert f'href="/decisions?regulator_id={regulator["id"]}"' in page
    organisation = api.get(f"/organisations/{org['id']}").text
    assert f"/recommendations?organisation_id={org['id']}&amp;status=pending" in organisation
    assert organisation[organisation.index('id="recs-title"') :].count('href="/recommendations/') == 50

"""The message catalogue: extract the texts marked for translation and write the English one.

    python -m app.messages      # after adding or changing a marked text

Python marks texts with `N_()` (app/labels.py) or `gettext()`, templates with `_()` or
`{% trans %}`. The English catalogue holds every text as its own translation; another
language is a copy of it translated (app/locale/<language>/LC_MESSAGES/messages.po). The app
compiles the catalogue when it starts (app/labels.py): there is no build step.
"""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from app.labels import DOMAIN, LOCALE_DIR

APP = Path(__file__).resolve().parent
METHODS = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
KEYWORDS = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}


def extracted() -> Catalog:
    """Every marked text of the app, with where it is used."""
    catalog = Catalog(locale="en", domain=DOMAIN, project="Findings Tracker")
    for filename, lineno, message, comments, context in extract_from_dir(
        APP, METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def english() -> Catalog:
    """The English catalogue: each text its own translation."""
    catalog = extracted()
    for message in catalog:
        if message.id:
            message.string = message.id
    return catalog


def main() -> None:
    path = LOCALE_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, english(), omit_header=False, sort_output=True, no_location=True)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

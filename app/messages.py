"""The message catalogue: extract the texts marked for translation, write the English one and
bring the French one up to date.

    python -m app.messages      # after adding or changing a marked text

Python marks texts with `N_()` (app/labels.py), `gettext()` or `ngettext()`, templates with
`_()`, `ngettext()` or `{% trans %}`. The English catalogue holds every text as its own
translation. The French one (app/locale/fr/LC_MESSAGES/messages.po) keeps its translations,
gains the new texts untranslated (to be written in it) and loses the texts no longer used;
nothing is ever marked fuzzy (a changed text is a new one, to be translated anew; a test fails
on any text without its French). The app compiles each catalogue at first use
(app/labels.py): there is no build step.
"""

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

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


TRANSLATED = ("fr",)


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def updated(language: str, template: Catalog) -> Catalog:
    """The catalogue of `language` brought up to `template` (Babel's `Catalog.update`, with no
    fuzzy matching): its translations kept, new texts empty, removed texts gone."""
    path = catalogue_path(language)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale=language, domain=DOMAIN)
    else:
        catalog = Catalog(locale=language, domain=DOMAIN, project="Findings Tracker")
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    for message in catalog:
        message.flags.discard("fuzzy")
    return catalog


def translated(message: Message) -> bool:
    """Whether a message has its translation (every plural form of it)."""
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(strings) and "fuzzy" not in message.flags


def write(language: str, catalog: Catalog) -> Path:
    """Write the catalogue, unless only its creation date would change (no churn in git)."""
    path = catalogue_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, omit_header=False, sort_output=True, no_location=True)
    new = buffer.getvalue()
    if path.exists() and _dateless(path.read_bytes()) == _dateless(new):
        return path
    path.write_bytes(new)
    return path


def _dateless(po: bytes) -> bytes:
    return re.sub(rb'"POT-Creation-Date: [^"]*"', b"", po)


def main() -> None:
    template = extracted()
    print(f"wrote {write('en', english())}")
    for language in TRANSLATED:
        catalog = updated(language, template)
        missing = sum(1 for m in catalog if m.id and not translated(m))
        print(f"wrote {write(language, catalog)} ({missing} texts to translate)")


if __name__ == "__main__":
    main()

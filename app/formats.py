"""Numbers, amounts and dates as the reader's language writes them (Babel; app.language).

English keeps the forms the pages always had ("1,770", "65,200,000.00 EUR", "2021-02-03",
"February 2021"); French writes them as French does ("1 770", "65 200 000,00 €",
"3 février 2021", "février 2021"). Pages, e-mails and feeds share these.
"""

import datetime as dt
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal

from app import language, vocab
from app.language import ENGLISH


def number(n: int | float | Decimal) -> str:
    """A count with its thousands separated: "1,770", "1 770"."""
    lang = language.current()
    if isinstance(n, int) and not isinstance(n, bool):
        # What Babel writes for a whole number, without its cost on every row of a list.
        return f"{n:,}".replace(",", _group(lang)) if lang != ENGLISH else f"{n:,}"
    return format_decimal(n, locale=lang)


@cache
def _group(lang: str) -> str:
    """The thousands separator of a language (French: a narrow no-break space)."""
    return str(Locale.parse(lang).number_symbols["latn"]["group"])


def money(amount: Decimal | None, currency: str | None = None) -> str:
    """An amount, with its currency when known: "65,200,000.00 EUR", "65 200 000,00 €"."""
    if amount is None:
        return ""
    lang = language.current()
    if lang == ENGLISH:
        text = f"{Decimal(amount):,.2f}"
        return f"{text} {currency}" if currency else text
    if currency:
        return format_currency(Decimal(amount), currency, locale=lang)
    return format_decimal(Decimal(amount), format="#,##0.00", locale=lang)


def money_said(amount: Decimal, currency: str) -> str:
    """An amount as said in a sentence, cents only when there are some: "EUR 9,000,000",
    "9 000 000 €"."""
    lang = language.current()
    whole = Decimal(amount) == Decimal(amount).to_integral_value()
    if lang == ENGLISH:
        text = f"{Decimal(amount):,.2f}".removesuffix(".00")
        return f"{currency} {text}"
    if whole:
        return format_currency(
            Decimal(amount), currency, format="#,##0\u00a0¤", currency_digits=False, locale=lang
        )
    return format_currency(Decimal(amount), currency, locale=lang)


# How a date of each precision reads: "2013", "February 2021" (Babel's skeletons).
SKELETONS = {vocab.DatePrecision.year: "y", vocab.DatePrecision.month: "yMMMM"}


def dated(value: dt.date | None, precision: str | None = None) -> str:
    """A date as precise as its source: "2013", "February 2021", or the day ("2021-02-03" in
    English, "3 février 2021" in French)."""
    if value is None:
        return ""
    lang = language.current()
    skeleton = SKELETONS.get(vocab.DatePrecision(precision or "day"))
    if skeleton:
        return format_skeleton(skeleton, value, locale=lang)
    return value.isoformat() if lang == ENGLISH else format_date(value, "long", locale=lang)


def day(value: dt.date | dt.datetime | None) -> str:
    """A day (or a moment, to the minute, in UTC)."""
    if value is None:
        return ""
    lang = language.current()
    if isinstance(value, dt.datetime):
        if lang == ENGLISH:
            return value.strftime("%Y-%m-%d %H:%M UTC")
        return f"{format_date(value.date(), 'long', locale=lang)}, {value.strftime('%H:%M')} UTC"
    return value.isoformat() if lang == ENGLISH else format_date(value, "long", locale=lang)


def percent(share: float) -> str:
    """A share from 0 to 1 as a percentage, one decimal at most: "12.5%", "12,5 %"."""
    lang = language.current()
    if lang == ENGLISH:
        return f"{round(share * 100, 1):g}%"
    return format_decimal(round(share * 100, 1), format="#,##0.#", locale=lang) + "\u00a0%"


def country(code: str, english: str) -> str:
    """A country named in the reader's language ("GB" → "Royaume-Uni" in French; Babel's
    names), or its English name where the language is English or Babel knows no other."""
    lang = language.current()
    if lang == ENGLISH or len(code) < 2:
        return english
    return str(Locale.parse(lang).territories.get(code[:2].upper(), english))


SIZE_UNITS = {ENGLISH: ("GB", "MB", "KB", "bytes"), "fr": ("Go", "Mo", "Ko", "octets")}


def size_in_words(size: int | None) -> str:
    """A size in bytes as people read it: "412 KB", "3.2 MB" ("3,2 Mo")."""
    if size is None:
        return ""
    lang = language.current()
    units = SIZE_UNITS.get(lang, SIZE_UNITS[ENGLISH])
    for unit, scale in zip(units, (10**9, 10**6, 10**3), strict=False):
        if size >= scale:
            return format_decimal(round(size / scale, 1), format="#,##0.#", locale=lang) + f" {unit}"
    return f"{number(size)} {units[3]}"

"""Names and references compared by their *key*: case folded, accents and punctuation left
out, and, for a name, a legal form at the end dropped (`Clearview AI Inc.` = `Clearview AI,
Inc.` = `Clearview AI`; `SAN-2022-019` = `san 2022/019`). Used to find the same act recorded
twice and the same party under two names (app/services/record/duplicates.py).
"""

import functools
import re
import unicodedata

# Legal forms dropped from the end of a name (after punctuation is removed, so "S.A." is "sa").
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "pty",
        "pte",
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "mbh",
        "ev",
        "sa",
        "sas",
        "sasu",
        "sarl",
        "srl",
        "spa",
        "sl",
        "slu",
        "nv",
        "bv",
        "ab",
        "oy",
        "oyj",
        "as",
        "asa",
        "aps",
        "kft",
        "zrt",
        "sro",
        "spzoo",
        "sp",
        "zoo",
        "doo",
        "ad",
        "ou",
        "bhd",
        "sdn",
        "kk",
    }
)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c)).replace(".", "")
    return re.findall(r"[^\W_]+", plain)


@functools.lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """A name without case, accents, punctuation or a trailing legal form."""
    words = _words(name)
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def reference_key(reference: str) -> str:
    """A reference without case, blanks or punctuation ("SAN-2022-019" = "san 2022/019")."""
    return "".join(_words(reference))

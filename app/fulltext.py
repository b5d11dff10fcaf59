"""How text is cut into words and folded for search, shared by the engine set-up and the
search service: Unicode letters and digits make words, everything else separates them, and
case and accents are ignored (`Québec` and `quebec` are the same word).

The databases do the same on their side: SQLite's FTS5 tokenizer `unicode61 remove_diacritics 2`
and PostgreSQL's `findings_search` configuration ('simple' words through `unaccent`).
"""

import re
import unicodedata

WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case, without accents (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The words of `text`, as typed (not folded)."""
    return WORD.findall(unicodedata.normalize("NFKC", text))


def folded_words(text: str) -> str:
    """The folded words of `text` joined by single spaces: equal for equal word sequences."""
    return " ".join(WORD.findall(fold(text)))

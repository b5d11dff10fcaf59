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


def names_match(names: str | None, query_words: str | None) -> bool:
    """True where one line of `names` is, word for word, the (folded) query."""
    if not names or not query_words:
        return False
    return any(folded_words(name) == query_words for name in names.split("\n"))

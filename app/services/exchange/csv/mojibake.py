"""Text that was decoded wrongly: Mac Roman bytes inside a Windows-1252 file, and UTF-8 once
read as Windows-1252 (mojibake). Used by the CSV import when its mapping asks for it."""

import codecs
import re


def _mac_roman(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("mac_roman"), error.end


MAC_ROMAN = "findings_mac_roman"
codecs.register_error(MAC_ROMAN, _mac_roman)


# -- Mojibake -------------------------------------------------------------------------------

# A UTF-8 lead byte then continuation bytes, each read as Windows-1252: "â€™" for U+2019.
_CP1252_CONTINUATION = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CP1252_CONTINUATION}]{{1,3}}")


def _as_cp1252_bytes(text: str) -> bytes:
    """The bytes that Windows-1252 read as `text`; the five bytes it leaves undefined (0x81,
    0x8D, 0x8F, 0x90, 0x9D) come back from the control characters a decoder put for them
    (the closing quote ”, E2 80 9D, often reads as "â€" and U+009D)."""
    return b"".join(c.encode("latin-1") if "\x80" <= c <= "\x9f" else c.encode("cp1252") for c in text)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was once decoded as Windows-1252 ("donâ€™t" back to "don\u2019t").

    Each suspicious run is re-decoded on its own and kept only where it is valid UTF-8, so
    text that was right to begin with (“Zürich”) is left alone.
    """

    def fix(match: re.Match[str]) -> str:
        try:
            return _as_cp1252_bytes(match.group()).decode("utf-8")
        except UnicodeError:
            return match.group()

    return _MOJIBAKE.sub(fix, text)

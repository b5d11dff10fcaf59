"""The media type of a document, read from its bytes (the client's `Content-Type` is never
trusted): the patterns of the WHATWG MIME Sniffing standard for the types the record keeps.

Only these types are kept: PDF, HTML, plain text, PNG and JPEG (anything else is refused,
415). Text is UTF-8 (or UTF-16 with its byte-order mark) with no binary control bytes.
"""

PDF = "application/pdf"
HTML = "text/html"
TEXT = "text/plain"
PNG = "image/png"
JPEG = "image/jpeg"
ACCEPTED = (PDF, HTML, TEXT, PNG, JPEG)

# The tags that open an HTML document (WHATWG: after leading white space, case ignored,
# followed by a space or `>`).
_HTML_TAGS = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<script",
    b"<iframe",
    b"<h1",
    b"<div",
    b"<font",
    b"<table",
    b"<a",
    b"<style",
    b"<title",
    b"<b",
    b"<body",
    b"<br",
    b"<p",
    b"<!--",
)
# Bytes that never occur in text (WHATWG's "binary data bytes").
_BINARY = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
HEAD = 1445  # how much of the start the standard reads


def media_type(data: bytes) -> str | None:
    """The media type of `data`, or None when it is none of the accepted types."""
    head = data[:HEAD]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    stripped = head.lstrip(b" \t\n\r\x0c").removeprefix(b"\xef\xbb\xbf").lower()
    for tag in _HTML_TAGS:
        if stripped.startswith(tag) and stripped[len(tag) : len(tag) + 1] in (b" ", b">", b""):
            return HTML
    if _is_text(data):
        return TEXT
    return None


def _is_text(data: bytes) -> bool:
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        try:
            data.decode("utf-16")
        except UnicodeDecodeError:
            return False
        return True
    if any(b in _BINARY for b in data[:HEAD]):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def extension(media: str) -> str:
    """The usual file extension of an accepted type (for a download's file name)."""
    return {PDF: "pdf", HTML: "html", TEXT: "txt", PNG: "png", JPEG: "jpg"}.get(media, "bin")

"""Reading a stored document's text: a PDF page by page (pypdf), an HTML page's main text
(trafilatura), plain text as it is; an image has none.

Reading runs in the worker, never in a request, and each document is read in a child process
bounded in memory, CPU time and wall-clock time, so that a PDF bomb, a zip bomb in a stream,
a 10,000-page PDF or a deeply nested page stops there: the document is kept, marked with the
reason, and the worker goes on. A PDF over `MAX_DOCUMENT_PAGES` pages is read up to that page
(the reason says so); text over `MAX_DOCUMENT_CHARS` characters is cut there.

    python -m app.services.evidence.extract MEDIA_TYPE MAX_PAGES MAX_CHARS < bytes > JSON

is the child: it prints `{"pages": [...], "total": n}` or `{"error": "..."}`.
"""

import datetime as dt
import io
import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from app.config import Settings, get_settings
from app.db import Database
from app.models import Document, DocumentPage
from app.services.evidence import sniff, storage
from app.vocab import DocumentStatus, TextStatus

# The child's bounds: address space, CPU seconds, and the wall clock the worker waits.
MEMORY_BYTES = 1_500_000_000
CPU_SECONDS = 60
WALL_SECONDS = 90


@dataclass(frozen=True)
class Text:
    """What reading a document gave: its pages' text, or why there is none."""

    pages: list[str]
    total_pages: int
    reason: str | None  # why nothing (or not everything) was read


# -- In the child ---------------------------------------------------------------------------


def _pdf(data: bytes, max_pages: int) -> tuple[list[str], int]:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("the PDF is encrypted")
        total = len(reader.pages)
        return [reader.pages[i].extract_text() or "" for i in range(min(total, max_pages))], total
    except LimitReachedError:
        raise ValueError("the PDF inflates past the reader's limits (a decompression bomb?)") from None
    except PdfReadError as exc:
        raise ValueError(f"the PDF is malformed ({exc})") from None


# The HTML parser under trafilatura (libxml2) stops building the tree this deep: a page nested
# deeper is refused with that reason rather than read as if it had no text.
MAX_HTML_DEPTH = 255
VOID = frozenset(
    [
        *("area", "base", "br", "col", "embed", "hr", "img"),
        *("input", "link", "meta", "param", "source", "track", "wbr"),
    ]
)


def _depth_within(text: str, limit: int) -> bool:
    """Whether the page's elements nest at most `limit` deep (a streaming count, stopped as
    soon as it passes)."""
    from html.parser import HTMLParser

    class Depth(HTMLParser):
        depth = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag not in VOID:
                self.depth += 1
                if self.depth > limit:
                    raise OverflowError

        def handle_endtag(self, tag: str) -> None:
            if tag not in VOID:
                self.depth = max(0, self.depth - 1)

    try:
        Depth().feed(text)
    except OverflowError:
        return False
    return True


def _html(data: bytes) -> list[str]:
    import trafilatura

    if not _depth_within(data.decode("utf-8", "replace"), MAX_HTML_DEPTH):
        raise ValueError(f"the page nests its elements deeper than {MAX_HTML_DEPTH} levels")

    text = trafilatura.extract(data.decode("utf-8", "replace"), include_comments=False, favor_recall=True)
    return [text or ""]


def _plain(data: bytes) -> list[str]:
    if data.startswith((b"\xfe\xff", b"\xff\xfe")):
        return [data.decode("utf-16")]
    return [data.decode("utf-8-sig")]


def read_text(media: str, data: bytes, max_pages: int, max_chars: int) -> dict[str, Any]:
    """The child's work: the pages of `data` as JSON-ready values."""
    if media == sniff.PDF:
        pages, total = _pdf(data, max_pages)
    elif media == sniff.HTML:
        pages, total = _html(data), 1
    elif media == sniff.TEXT:
        pages, total = _plain(data), 1
    else:
        return {"pages": [], "total": 0}
    kept, left = [], max_chars
    for page in pages:
        page = page.replace("\x00", "")
        kept.append(page[:left])
        left -= len(kept[-1])
    return {"pages": kept, "total": total, "cut": left <= 0}


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def main() -> None:
    media, max_pages, max_chars = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = sys.stdin.buffer.read()
    try:
        out = read_text(media, data, max_pages, max_chars)
    except (ValueError, RecursionError, MemoryError, UnicodeDecodeError) as exc:
        out = {"error": str(exc)[:300] or type(exc).__name__}
    except Exception as exc:  # a malformed file can raise anything inside a parser
        out = {"error": f"the file could not be read ({type(exc).__name__})"}
    sys.stdout.write(json.dumps(out))


# -- In the worker --------------------------------------------------------------------------


def read(media: str, data: bytes, settings: Settings) -> Text:
    """Read `data` in a bounded child process."""
    if media.startswith("image/"):
        return Text([], 0, None)
    args = [
        sys.executable,
        "-m",
        __name__,
        media,
        str(settings.max_document_pages),
        str(settings.max_document_chars),
    ]
    try:
        done = subprocess.run(
            args, input=data, capture_output=True, timeout=WALL_SECONDS, preexec_fn=_limit, check=False
        )
    except subprocess.TimeoutExpired:
        return Text([], 0, f"reading the text took over {WALL_SECONDS} seconds")
    try:
        out = json.loads(done.stdout or b"{}")
    except ValueError:
        out = {}
    if "pages" not in out:
        if done.returncode < 0 or not out:
            return Text([], 0, "reading the text went over its memory or time limit")
        return Text([], 0, str(out.get("error") or "the text could not be read"))
    pages, total = list(out["pages"]), int(out["total"])
    notes = []
    if total > len(pages):
        notes.append(f"text read from the first {len(pages):,} of {total:,} pages")
    if out.get("cut"):
        notes.append(f"text cut at {settings.max_document_chars:,} characters")
    if not any(p.strip() for p in pages):
        return Text([], total, "no text in the file (a scan, or pictures of text)")
    return Text(pages, total, "; ".join(notes) or None)


def process_pending(db: Database, *, limit: int = 5, settings: Settings | None = None) -> int:
    """Read the text of up to `limit` stored documents waiting for it; return how many."""
    settings = settings or get_settings()
    with db.transaction(write=False) as session:
        ids = list(
            session.scalars(
                select(Document.id)
                .where(Document.status == DocumentStatus.stored, Document.text_status == TextStatus.pending)
                .order_by(Document.id)
                .limit(limit)
            )
        )
    for document_id in ids:
        with db.transaction(write=False) as session:
            document = session.get(Document, document_id)
            data = storage.get(session, document.sha256) if document and document.sha256 else None
            media = document.media_type if document else None
        text = (
            Text([], 0, "the bytes are missing")
            if data is None or media is None
            else read(media, data, settings)
        )
        with db.transaction(actor="worker:extract") as session:
            document = session.get(Document, document_id)
            if document is None or document.text_status != TextStatus.pending:
                continue  # deleted, or read by another worker meanwhile
            session.execute(delete(DocumentPage).where(DocumentPage.document_id == document_id))
            session.add_all(
                DocumentPage(document_id=document_id, number=n, text=page)
                for n, page in enumerate(text.pages, start=1)
            )
            document.page_count = text.total_pages or None
            document.text_status = TextStatus.extracted if text.pages else TextStatus.unreadable
            document.text_reason = text.reason
            document.updated_at = dt.datetime.now(dt.UTC)
    return len(ids)


if __name__ == "__main__":
    main()

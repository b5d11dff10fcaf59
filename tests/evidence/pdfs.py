"""Small PDF files made for the tests: real PDFs (with a cross-reference table) that pypdf
reads, one line of text a page; and a few broken on purpose."""

import zlib


def _objects(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, compressed: bool = False) -> bytes:
    if compressed:
        data = zlib.compress(data, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pdf(pages: list[str], *, bomb: int = 0) -> bytes:
    """A PDF of one page per text (ASCII). `bomb`: a page content stream that inflates to that
    many bytes (a decompression bomb) instead of the first page's text."""
    count = len(pages)
    font = 3 + 2 * count
    kids = b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count),
    ]
    for i, text in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font)
        )
        if bomb and i == 0:
            objects.append(_stream(b" " * bomb, compressed=True))
        else:
            safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("ascii")
            objects.append(_stream(b"BT /F1 12 Tf 72 720 Td (" + safe + b") Tj ET"))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return _objects(objects)


def encrypted() -> bytes:
    """A PDF whose trailer names an encryption dictionary (with a user password): unreadable."""
    body = pdf(["secret"])
    return body.replace(
        b"trailer\n<< /Size",
        b"trailer\n<< /Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >> "
        b"/ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] /Size",
    )


def malformed() -> bytes:
    """Starts like a PDF, then is nothing of the kind."""
    return b"%PDF-1.7\n" + b"\x00garbage" * 200

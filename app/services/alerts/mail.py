"""Sending e-mail: over SMTP (`SMTP_URL`), or, where none is set, into a folder of .eml files
(development: `make run` works on a fresh machine, and the messages can be read there)."""

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.config import Settings


class MailError(Exception):
    """The message could not be handed over (it will be tried again)."""


def one_line(value: str) -> str:
    """A header value on one line: line breaks, tabs and other control characters become
    spaces (a decision's title may hold a line break; a header must not)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def message(
    settings: Settings, *, to: str, subject: str, body: str, headers: dict[str, str] | None = None
) -> EmailMessage:
    """The message, its header values made of the record's words put on one line (the e-mail
    library refuses a header with a line break)."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain="findings-tracker")
    for name, value in (headers or {}).items():
        msg[name] = one_line(value)
    msg.set_content(body)
    return msg


def _tls_context(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.smtp_ca_file)


def send(settings: Settings, msg: EmailMessage) -> str:
    """Hand the message over; returns what happened, in words, for the delivery's record."""
    if not settings.smtp_url:
        folder = Path(settings.mail_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(msg.as_bytes())
        return f"written to {path}"
    url = urlsplit(settings.smtp_url)
    host = url.hostname or "localhost"
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, url.port or 465, timeout=30, context=_tls_context(settings)
            )
        elif url.scheme in ("smtp", "smtp+insecure"):
            client = smtplib.SMTP(host, url.port or 587, timeout=30)
        else:
            raise MailError(f"SMTP_URL has an unknown scheme {url.scheme!r} (smtp, smtps, smtp+insecure)")
        with client:
            client.ehlo()
            if url.scheme == "smtp":
                if not client.has_extn("starttls"):
                    raise MailError(f"{host} does not offer STARTTLS; refusing to send in the clear")
                client.starttls(context=_tls_context(settings))
                client.ehlo()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            refused = client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}"[:500]) from exc
    if refused:
        raise MailError(f"refused by {host}: {refused}"[:500])
    return f"accepted by {host}"

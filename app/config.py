"""Settings from the environment (and an optional `.env` file)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'findings.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL; a SQLite file by default, postgresql+psycopg://... for larger sites.",
    )
    # PostgreSQL connection pool of each app process: `db_pool_size` kept open, up to
    # `db_max_overflow` more under load, waiting `db_pool_timeout` seconds for one when all
    # are busy. Processes x (size + overflow) must stay under the server's max_connections.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    # Seconds after which a pooled connection is replaced (below any proxy's idle timeout).
    db_pool_recycle: int = 1800
    # Bounded concurrency (app.admission): at most `max_in_flight` requests inside the app at
    # once; one that finds it full waits for a place for `queue_timeout` seconds at most, then
    # gets 503 with Retry-After.
    max_in_flight: int = Field(default=32, ge=1)
    queue_timeout: float = Field(default=5.0, gt=0)
    # Seconds a SQLite writer waits for the lock before giving up.
    sqlite_busy_timeout: float = 10.0
    # Largest request body accepted, in bytes.
    max_body_bytes: int = 2_000_000
    # Largest whole-record import accepted by `POST /api/v1/import`, in bytes.
    import_max_bytes: int = 2_000_000_000
    # A request body is read whole before the app sees the request (so no transaction waits
    # on a client): a body must arrive within `body_timeout` seconds (the import: with no
    # pause longer than `body_idle_timeout`), or the answer is 408.
    body_timeout: float = Field(default=30.0, gt=0)
    body_idle_timeout: float = Field(default=10.0, gt=0)
    # An export or CSV download whose client takes longer than this to accept the next piece
    # is abandoned, closing its read snapshot (so the SQLite WAL can be checkpointed).
    send_timeout: float = Field(default=30.0, gt=0)
    # SQLite: the size the WAL file is truncated back to after a checkpoint, in bytes.
    sqlite_journal_size_limit: int = 64 << 20
    # The public address of the site (`https://findings.example.org`). When set, every
    # absolute URL the app makes (feed ids and links, `Location`, `self`, redirects) is built
    # from it, never from the request's Host header.
    base_url: str | None = None
    # Comma-separated host names the site answers to (`findings.example.org,*.example.org`);
    # a request for any other Host gets 400. Unset: any host (fine on 127.0.0.1 only).
    allowed_hosts: str | None = None
    # A file the security events (JSON lines) are appended to; unset: standard error.
    security_log: str | None = None
    # Seconds a browser or proxy may reuse an anonymous read before asking again (with its
    # ETag, so an unchanged answer costs a 304).
    http_max_age: int = Field(default=60, ge=0)
    # Self sign-up of reader accounts (to follow records): `closed` (the default) or `open`.
    signup: Literal["closed", "open"] = "closed"
    # Where e-mail goes: `smtp://user:password@host:587` (STARTTLS required),
    # `smtps://...:465` (TLS from the start), or `smtp+insecure://host:25` (plain, for a
    # relay on the same machine). Unset: messages are written as .eml files to `mail_dir`.
    smtp_url: str | None = None
    # A CA bundle to trust for the SMTP server's certificate (a private CA).
    smtp_ca_file: str | None = None
    mail_from: str = "Findings Tracker <alerts@localhost>"
    mail_dir: Path = PROJECT_ROOT / "data" / "mail"
    # Webhooks and links to archive that lead to loopback, private or link-local addresses (or
    # to ports other than 80 and 443) are refused unless this is set (a subscriber or an editor
    # must not be able to make the server call into its own network). Its former name,
    # ALLOW_PRIVATE_WEBHOOKS, still works (either set allows them).
    allow_private_urls: bool = False
    allow_private_webhooks: bool = False
    # Seconds one webhook attempt may take in all, from connecting to the answer's status.
    webhook_timeout: float = Field(default=10.0, gt=0)
    # Subscriptions one account or API token may hold.
    subscriptions_per_owner: int = Field(default=50, ge=1)
    # The hour (UTC) at which daily digests go out.
    digest_hour: int = Field(default=7, ge=0, le=23)
    # The time zone whose calendar says what day it is (overdue, "today" on the pages): an IANA
    # name such as `Europe/Paris`.
    time_zone: str = "UTC"

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a known time zone, such as Europe/Paris") from exc
        return value

    # Archived documents (evidence): the largest upload or fetch kept; where the bytes go
    # (unset: in the database, so that backups, exports and replicas carry them); the longest
    # a fetch may take; and how often an original link is checked again.
    max_document_bytes: int = Field(default=50_000_000, gt=0)
    document_dir: Path | None = None
    fetch_timeout: float = Field(default=30.0, gt=0)
    link_check_days: int = Field(default=30, ge=1)
    # The text read from a document, at most (a 10,000-page PDF stops there, kept with the reason).
    max_document_pages: int = Field(default=2000, ge=1)
    max_document_chars: int = Field(default=5_000_000, ge=1)

    # Echo SQL to the log (development only).
    sql_echo: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()

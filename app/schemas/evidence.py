"""Archived documents as the API reads and takes them."""

import datetime as dt

from pydantic import Field

from app.schemas.common import InputModel, OutputModel, Title, Url
from app.vocab import DocumentStatus, LinkStatus, TextStatus


class DocumentLink(InputModel):
    """A link to archive: the worker fetches it (202), keeping the page as it was then."""

    url: Url = Field(description="An http:// or https:// address on the public internet.")
    title: Title | None = None


class DocumentRead(OutputModel):
    id: int
    title: str | None
    status: DocumentStatus = Field(description="`pending` until a link is fetched; `failed` with `failure`.")
    sha256: str | None = Field(description="The SHA-256 of the bytes kept (hex); the raw download's ETag.")
    media_type: str | None = Field(description="Sniffed from the bytes, never taken from the client.")
    size: int | None
    text_status: TextStatus
    text_reason: str | None = Field(description="Why the text could not be read, when it could not.")
    page_count: int | None
    url: str | None = Field(description="The link given, for a fetched document.")
    final_url: str | None = Field(description="Where the link led, after redirects.")
    http_status: int | None
    fetched_at: dt.datetime | None
    failure: str | None
    link_status: LinkStatus = Field(description="What the original link answers when checked again.")
    link_checked_at: dt.datetime | None
    created_at: dt.datetime
    version: int

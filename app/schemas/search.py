import datetime as dt

from pydantic import Field

from app.schemas.common import OutputModel, Page
from app.vocab import DatePrecision, SearchType


class SearchHit(OutputModel):
    """One record found by full-text search."""

    type: SearchType
    id: int
    title: str
    snippet: str = Field(
        description="An extract of the matching text as HTML: the matched words in `<mark>`, "
        "everything else escaped, so it can be inserted into a page as it is."
    )
    decision_id: int | None = Field(
        default=None, description="For a finding or a recommendation, the decision it belongs to."
    )
    page: int | None = Field(
        default=None, description="For a document (`id` is the document's), the page the words are on."
    )
    issued_on: dt.date | None = Field(
        default=None,
        description="For a decision, a finding or a recommendation, the day the decision was issued.",
    )
    issued_on_precision: DatePrecision | None = Field(
        default=None, description="How precise `issued_on` is (`day`, `month`, `year`)."
    )


class SearchPage(Page[SearchHit]):
    """One page of hits, and how many records the query finds in all."""

    total: int = Field(
        default=0,
        description="How many records the query finds (of the types asked); when `total_is_lower_bound`, "
        "at least that many (a common word: they are not counted further).",
    )
    total_is_lower_bound: bool = False

from pydantic import Field

from app.schemas.common import OutputModel
from app.vocab import SearchType


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

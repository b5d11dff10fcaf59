"""The vocabularies in words: each code's label and explanation, in one language."""

from typing import Literal

from pydantic import BaseModel, Field

Language = Literal["en", "fr"]


class Term(BaseModel):
    code: str = Field(description="The code, as the API reads and writes it.")
    label: str = Field(description="Its label, in the language asked for.")
    explanation: str | None = Field(
        description="A one-line explanation (statuses, compliance and standing), or null."
    )


class Vocabularies(BaseModel):
    language: Language = Field(description="The language of the labels and explanations.")
    vocabularies: dict[str, list[Term]] = Field(
        description="Each vocabulary by its name (`status`, `compliance`, `decision_kind`, "
        "`decision_sort`, …), its codes in their order."
    )

"""A mapping may build each row's source link from a template over the row's columns
(`source_url = { template = "https://…/{ref}" }` on an assessment, `sources` on a decision);
a template naming a column the file lacks is refused before anything is written, naming it."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.errors import Invalid
from app.models import Assessment, Decision, DecisionSource
from tests.exchange.test_csv_import import run, write

NOTE = 'note = { template = "Said: {position}" }'


def linked(tmp_path: Path, column: str) -> tuple[Path, Path]:
    m, c = write(tmp_path)
    text = m.read_text(encoding="utf-8").replace(
        NOTE, NOTE + f'\nsource_url = {{ template = "https://example.org/reviews/{{{column}}}" }}'
    )
    text = text.replace(
        "[regulator]\n",
        f'sources = {{ template = "https://example.org/reviews/{{{column}}}" }}\n\n[regulator]\n',
        1,
    )
    m.write_text(text, encoding="utf-8")
    return m, c


def test_each_row_links_to_its_own_source(db: Database, tmp_path: Path) -> None:
    m, c = linked(tmp_path, "ref")
    run(db, m, c)
    with db.transaction(write=False) as s:
        t1 = s.scalars(select(Decision).where(Decision.reference == "T-1")).one()
        urls = set(s.scalars(select(DecisionSource.url).where(DecisionSource.decision_id == t1.id)))
        assert urls == {"https://example.org/reviews/1"}
        links = set(s.scalars(select(Assessment.source_url)))
        assert "https://example.org/reviews/1" in links and "https://example.org/reviews/2" in links


def test_a_template_naming_an_unknown_column_is_refused_before_anything_is_written(
    db: Database, tmp_path: Path
) -> None:
    m, c = linked(tmp_path, "review_page")
    with pytest.raises(Invalid) as refused:
        run(db, m, c)
    assert "review_page" in refused.value.detail and "assessment.source_url" in refused.value.detail
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 0

"""Evidence in a real browser (Debian's Chromium via Playwright): an editor logs an assessment
with the document attached in the same form, at a phone's and a desktop's width; the
recommendation then shows the archived copy and links the quote to its page."""

from typing import Any

import pytest
from sqlalchemy import select

from app.db import Database
from app.models import Assessment, Document, Recommendation
from app.services.evidence import extract
from tests.browser_helpers import axe_violations, sign_in
from tests.evidence.pdfs import pdf
from tests.web_helpers import fast_passwords  # noqa: F401  (autouse: cheap argon2 costs)

pytestmark = pytest.mark.browser

REPLY = pdf(["Letter from Clearview AI", "We have deleted the images of Canadians", "Signed, counsel"])


@pytest.mark.parametrize("width", [390, 1366])
def test_an_assessment_logged_with_its_document_attached_shows_the_archived_copy(
    demo_site: tuple[str, Database], chrome: Any, width: int
) -> None:
    from playwright.sync_api import expect

    base, db = demo_site
    with db.transaction(write=False) as session:
        rec_id = session.scalars(select(Recommendation.id).order_by(Recommendation.id)).first()
    context = chrome.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, base)
        page.goto(f"{base}/recommendations/{rec_id}/assessments/new")
        assert axe_violations(page) == []
        page.get_by_label("Status").select_option("complied")
        page.get_by_label("Whose claim").select_option("organisation")
        page.get_by_label("Source title").fill(f"Clearview's letter ({width})")
        page.get_by_label("Quote", exact=True).fill("We have deleted the images of Canadians")
        page.get_by_label("Attach the document").set_input_files(
            {"name": f"reply-{width}.pdf", "mimeType": "application/pdf", "buffer": REPLY + b" " * width}
        )
        page.get_by_label("Page of the quote").fill("2")
        page.get_by_role("button", name="Log it").click()
        expect(page.get_by_role("status")).to_be_visible()

        with db.transaction(write=False) as session:
            assessment = session.scalars(
                select(Assessment)
                .where(Assessment.recommendation_id == rec_id)
                .order_by(Assessment.id.desc())
            ).first()
            assert assessment is not None and assessment.source_page == 2
            document = session.get(Document, assessment.document_id)
            assert document is not None and document.media_type == "application/pdf"
            assert document.size == len(REPLY) + width and document.title == f"Clearview's letter ({width})"
        extract.process_pending(db)

        page.goto(f"{base}/recommendations/{rec_id}")
        quote = page.locator(f"#assessment-{assessment.id}")
        expect(quote.get_by_role("link", name="archived copy")).to_be_visible()
        expect(quote).to_contain_text("PDF")
        quote.get_by_role("link", name="(page 2)").click()
        expect(page.locator("#page-2")).to_contain_text("We have deleted the images of Canadians")
        expect(page.get_by_text("quote on page 2")).to_be_visible()
    finally:
        context.close()

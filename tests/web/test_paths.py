"""The record pages' paths used by messages and feeds (app.paths) are the routes' own."""

from app import paths
from app.main import create_app


def test_each_record_page_path_is_its_routes() -> None:
    app = create_app()
    for kind in paths.PAGES:
        assert paths.page(kind, 42) == app.url_path_for(f"web_{kind}", **{f"{kind}_id": "42"}), kind

"""The statuses' colours are told apart by everyone (issue 28, part 6): each pair of the
chart fills differs by at least ΔE2000 12 as seen with normal vision and as simulated for
protanopia, deuteranopia and tritanopia (ColorAide's filters: Brettel/Viénot), and each stands
at least 3:1 against the page's white (WCAG's non-text contrast). The palette before this test
failed it: complied and not complied were ΔE 7.7 apart under deuteranopia."""

import re
from itertools import combinations
from pathlib import Path

from coloraide import Color

from app.vocab import Status

CSS = (Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "site.css").read_text()
DEFICIENCIES = (None, "protan", "deutan", "tritan")
MIN_DELTA_E = 12.0


def fills() -> dict[str, str]:
    found = dict(re.findall(r"^\.s-([a-z_]+) \{ fill: (#[0-9a-f]{6}); \}", CSS, re.M))
    return {s.value: found[s.value] for s in Status}


def test_every_status_has_a_fill_and_the_same_swatch() -> None:
    swatches = dict(re.findall(r"\.swatch\.s-([a-z_]+) \{ background: (#[0-9a-f]{6}); \}", CSS))
    for status, colour in fills().items():
        assert swatches.get(status, colour) == colour, status


def test_statuses_are_told_apart_with_every_common_colour_vision_deficiency() -> None:
    colours = fills()
    worst = []
    for deficiency in DEFICIENCIES:
        seen = {
            s: Color(c) if deficiency is None else Color(c).filter(deficiency) for s, c in colours.items()
        }
        for a, b in combinations(seen, 2):
            worst.append((seen[a].delta_e(seen[b], method="2000"), deficiency, a, b))
    smallest = min(worst)
    assert smallest[0] >= MIN_DELTA_E, smallest


def test_each_fill_stands_out_from_the_page() -> None:
    white = Color("white")
    for status, colour in fills().items():
        assert Color(colour).contrast(white) >= 3.0, (status, colour)

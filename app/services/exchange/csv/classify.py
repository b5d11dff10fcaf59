"""Classifying a value from text: a mapping's `classify` rules, each with its measured precision.

    classify = [
        { name = "refused", match = "(?i)\\breject", value = "not_complied", precision = "7/9" },
        ...
    ]
    accept_at = 0.95            a reading whose rule's precision is below this is a suggestion
    default_precision = "1/2"   the precision of `default` (no rule matching), when it is a reading

`precision = "right/of"` is the rule's precision measured on replies labelled by reading them:
of the `of` labelled replies the rule matched first, `right` had the rule's value. It is a
measurement, never a guess: with `accept_at` set, a rule giving a value without one is refused
when the mapping is read, before anything is written. The classification of a row
(`Reading`) keeps the rule, its precision (`confidence`) and the matched sentence (the
evidence) for the assessment it makes.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # patterns imports mapping_spec, which imports this module
    from app.services.exchange.csv.patterns import Pattern

RULE_KEYS = {"match", "value", "name", "precision"}
PRECISION = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
DEFAULT_RULE = "default"


@dataclass(frozen=True)
class Rule:
    pattern: "Pattern"  # its searches bounded in time
    value: str
    name: str
    # Measured on labelled replies: `right` of the `of` the rule matched had its value.
    right: int | None = None
    of: int | None = None

    @property
    def confidence(self) -> float | None:
        return precision_of(self.right, self.of)


def precision_of(right: int | None, of: int | None) -> float | None:
    if right is None or not of:
        return None
    return round(right / of, 3)


@dataclass(frozen=True)
class Reading:
    """How a text was classified: the value (None: no value), the rule that gave it (None: the
    default gave it), and where in the text the rule matched."""

    value: str | None
    rule: Rule | None
    text: str
    span: tuple[int, int] | None = None


def parse_precision(text: Any) -> tuple[int, int] | None:
    """`"52/54"` as (52, 54); None when it is not a measured fraction (0 < of, right <= of)."""
    match = PRECISION.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    right, of = int(match[1]), int(match[2])
    return (right, of) if of > 0 and right <= of else None


def parse_rules(
    where: str,
    rules: Any,
    bad: Callable[[str, str], None],
    regex: Callable[[str, Any], "Pattern | None"],
) -> tuple[Rule, ...]:
    """The rules of a `classify` list; each problem is reported with `bad(where, message)`."""
    if not isinstance(rules, list) or not rules:
        bad(f"{where}.classify", "a list of rules: [{ match = regular expression, value = text }, ...]")
        return ()
    out = []
    names: set[str] = set()
    for i, rule in enumerate(rules):
        at = f"{where}.classify[{i}]"
        if not isinstance(rule, dict) or not {"match", "value"} <= set(rule) or set(rule) - RULE_KEYS:
            bad(
                at,
                'a rule is { match = regular expression, value = text, name = text, precision = "right/of" }',
            )
            continue
        if not isinstance(rule["value"], str):
            bad(f"{at}.value", "a text")
            continue
        name = rule.get("name", f"classify[{i}]")
        if not isinstance(name, str) or not name.strip() or name in names or name == DEFAULT_RULE:
            bad(f"{at}.name", f'a text naming the rule, unique in the list (not "{DEFAULT_RULE}")')
            continue
        names.add(name)
        measured = None
        if "precision" in rule and (measured := parse_precision(rule["precision"])) is None:
            bad(
                f"{at}.precision", 'the measured precision as "right/of" (52 of 54 labelled replies: "52/54")'
            )
            continue
        if (compiled := regex(f"{at}.match", rule["match"])) is not None:
            right, of = measured or (None, None)
            out.append(Rule(compiled, rule["value"], name, right, of))
    return tuple(out)


def check_measured(
    where: str,
    rules: tuple[Rule, ...],
    accept_at: float | None,
    default: str | None,
    default_precision: tuple[int, int] | None,
    bad: Callable[[str, str], None],
) -> None:
    """With `accept_at` set, every rule that gives a value (and a default that does) must carry
    its measured precision: the bar means nothing against a guess."""
    if accept_at is None:
        return
    for i, rule in enumerate(rules):
        if rule.value and rule.of is None:
            bad(
                f"{where}.classify[{i}].precision",
                f"rule {rule.name!r} has no measured precision, and accept_at is set: measure it on "
                'labelled replies and write it as precision = "right/of"',
            )
    if default and default_precision is None:
        bad(
            f"{where}.default_precision",
            f"the default ({default!r}, when no rule matches) has no measured precision, and "
            "accept_at is set",
        )


def classify(rules: tuple[Rule, ...], text: str) -> Reading:
    """The first rule matching `text` (or none: `Reading(None, None, text)`)."""
    for rule in rules:
        if (match := rule.pattern.search(text)) is not None:
            return Reading(rule.value or None, rule, text, match.span())
    return Reading(None, None, text)


# Where a sentence ends: after . ! or ? (and any closing quote or bracket) and a blank, or at
# a line break.
_BREAK = re.compile(r"(?<=[.!?])[\"\u201d\u2019)\]]*\s+|\s*\n\s*")


def sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The offsets of the sentence(s) of `text` holding `text[start:end]`, blanks left out."""
    first, last = 0, len(text)
    for found in _BREAK.finditer(text):
        if found.end() <= start:
            first = found.end()
        elif found.start() >= end:
            last = found.start()
            break
    while first < last and text[first].isspace():
        first += 1
    while last > first and text[last - 1].isspace():
        last -= 1
    return first, last


def evidence(note: str | None, reading: Reading) -> tuple[int, int] | None:
    """The matched sentence as offsets into the note. The text classified is usually a part of
    the note (the governing reply of several); where the note was cleaned otherwise, the
    sentence around the first place the matched words are in the note. None without a match,
    or when the matched words are not in the note."""
    if note is None or reading.span is None:
        return None
    at = note.find(reading.text)
    if at >= 0:
        start, end = sentence(reading.text, *reading.span)
        return at + start, at + end
    words = reading.text[reading.span[0] : reading.span[1]]
    at = note.find(words) if words else -1
    return sentence(note, at, at + len(words)) if at >= 0 else None

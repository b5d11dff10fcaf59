"""The record's shape: its size at each scale, the vocabulary of its names and texts, and the
weighted choices and heavy-tailed allocations the generator draws from (bench/generate.py).
"""

import bisect
import datetime as dt
import itertools
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.vocab import Relation, Status

FULL = {
    "regulators": 1_000,
    "organisations": 100_000,
    "decisions": 200_000,
    "recommendations": 1_000_000,
    "assessments": 2_000_000,
}
# The last day of the generated record: nothing is dated after it.
END = dt.date(2026, 11, 26)
START = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Counts:
    regulators: int
    organisations: int
    decisions: int
    recommendations: int
    assessments: int

    @classmethod
    def at(cls, scale: float) -> "Counts":
        minimum = {"regulators": 5, "organisations": 20, "decisions": 20}
        return cls(**{k: max(minimum.get(k, 0), round(v * scale)) for k, v in FULL.items()})


# -- Vocabulary for names and text ---------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COUNTRIES = words(
    "CA US GB IE FR DE IT ES NL BE PT SE NO DK FI PL CZ AT CH GR HU RO BG HR SI SK LT LV "
    "EE LU MT CY IS AU NZ JP KR SG IN BR AR MX CL CO ZA KE NG IL TR AE PH TH MY ID HK TW "
    "UA"
)
SUBDIVISIONS = ("AB", "BC", "QC", "ON", "CA", "NY", "TX", "BY", "BE", "NW", "CT", "MD", "NSW", "VIC")
CURRENCY = {"GB": "GBP", "US": "USD", "CA": "CAD", "AU": "AUD", "CH": "CHF", "NO": "NOK", "SE": "SEK"}
EURO = frozenset(words("IE FR DE IT ES NL BE PT FI AT GR SK SI LT LV EE LU MT CY HR"))
REGULATOR_BODIES = (
    "Data Protection Authority",
    "Information Commissioner",
    "Privacy Commissioner",
    "Competition and Consumer Authority",
    "Financial Conduct Regulator",
    "Ombudsman",
    "Administrative Court",
    "Court of Appeal",
    "Supreme Court",
    "Communications Regulator",
    "Transport Safety Board",
    "Health and Safety Executive",
)
ORG_WORDS = words(
    "Acme Apex Atlas Beacon Boreal Cedar Cobalt Crescent Delta Ember Falcon Granite "
    "Harbor Helix Horizon Iris Juniper Keystone Lumen Meridian Nimbus Northwind Onyx "
    "Orion Pinnacle Quartz Redwood Sable Sentinel Sierra Solace Summit Tandem Titan Umber "
    "Vantage Vertex Willow Zenith"
)
ORG_TRADES = words(
    "Analytics Bank Biometrics Cloud Data Energy Health Insurance Labs Logistics Media "
    "Mobile Networks Pharma Retail Security Software Systems Telecom Transit Ventures"
)
ORG_FORMS = ("Inc.", "Ltd", "GmbH", "S.A.", "plc", "LLC", "B.V.", "AB", "Pty Ltd", "S.p.A.")
TOPICS = (
    "facial recognition",
    "biometric data",
    "video surveillance",
    "cookie consent",
    "data breach",
    "direct marketing",
    "employee monitoring",
    "children's data",
    "location tracking",
    "credit reporting",
    "health records",
    "data retention",
    "access requests",
    "international transfers",
    "web scraping",
    "automated decisions",
    "security safeguards",
    "transparency",
    "railway signalling",
    "aviation maintenance",
)
TAGS = tuple(t.replace(" ", "-").replace("'", "") for t in TOPICS) + tuple(
    f"{w}-{n}" for w in ("sector", "programme", "sweep") for n in range(1, 61)
)
ACTIONS = (
    "Stop collecting",
    "Delete",
    "Notify the individuals affected by",
    "Appoint an officer responsible for",
    "Publish a policy on",
    "Conduct an impact assessment of",
    "Obtain valid consent before processing",
    "Restrict access to",
    "Report to the regulator on",
    "Train staff on the handling of",
)

REGULATOR_KINDS = (("regulator", 70), ("court", 12), ("tribunal", 8), ("ombudsman", 7), ("other", 3))
ORG_KINDS = (
    ("company", 70),
    ("public_body", 12),
    ("law_enforcement", 5),
    ("ngo", 4),
    ("individual", 6),
    ("other", 3),
)
DECISION_KINDS = (
    ("report_of_findings", 22),
    ("order", 14),
    ("determination", 10),
    ("formal_notice", 8),
    ("fine", 18),
    ("enforcement_notice", 8),
    ("penalty", 6),
    ("judgment", 7),
    ("settlement", 4),
    ("other", 3),
)
OUTCOMES = (
    ("contravention", 55),
    ("no_contravention", 10),
    ("well_founded", 15),
    ("not_well_founded", 7),
    ("resolved", 8),
    ("other", 5),
)
REC_KINDS = (("recommendation", 60), ("order", 30), ("undertaking", 10))
ASSERTED_BY = (("regulator", 50), ("organisation", 30), ("press", 10), ("court", 5), ("other", 5))
RELATIONS = (
    (Relation.appeal_of, 35),
    (Relation.upholds, 20),
    (Relation.overturns, 10),
    (Relation.remits, 5),
    (Relation.follow_up_of, 20),
    (Relation.enforces, 10),
)
S = Status
FIRST_STATUS = (
    (S.pending, 15),
    (S.not_complied, 25),
    (S.partially_complied, 25),
    (S.complied, 25),
    (S.disputed, 7),
    (S.withdrawn, 3),
)
# Each later assessment moves the status on: mostly towards compliance, with relapses.
NEXT_STATUS = {
    S.pending: (
        (S.not_complied, 30),
        (S.partially_complied, 30),
        (S.complied, 25),
        (S.disputed, 10),
        (S.withdrawn, 5),
    ),
    S.not_complied: (
        (S.partially_complied, 35),
        (S.complied, 30),
        (S.disputed, 20),
        (S.not_complied, 10),
        (S.withdrawn, 5),
    ),
    S.partially_complied: (
        (S.complied, 60),
        (S.partially_complied, 20),
        (S.not_complied, 15),
        (S.withdrawn, 5),
    ),
    S.complied: ((S.complied, 50), (S.partially_complied, 30), (S.not_complied, 20)),
    S.disputed: ((S.not_complied, 30), (S.complied, 30), (S.partially_complied, 20), (S.withdrawn, 20)),
    S.withdrawn: ((S.withdrawn, 50), (S.not_complied, 30), (S.complied, 20)),
}


class Choice:
    """Weighted choice among fixed values, fast (one bisect per draw)."""

    def __init__(self, weighted: Sequence[tuple[Any, float]]) -> None:
        self.values = [v for v, _ in weighted]
        self.cum = list(itertools.accumulate(w for _, w in weighted))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


def zipf(n: int, s: float, rng: random.Random, offset: float = 1.0) -> Choice:
    """Ids 1..n with Zipf-like weights 1/(rank+offset)^s, ranks shuffled over the ids."""
    ids = list(range(1, n + 1))
    rng.shuffle(ids)
    return Choice([(i, 1.0 / (rank + offset) ** s) for rank, i in enumerate(ids)])


def allocate(total: int, n: int, rng: random.Random, *, zero_share: float, alpha: float, cap: float) -> array:
    """Split `total` items over `n` owners: a share with none, the rest heavy-tailed (Pareto)."""
    weights = [0.0 if rng.random() < zero_share else min(cap, rng.paretovariate(alpha)) for _ in range(n)]
    if not any(weights):
        weights[0] = 1.0
    scale = total / sum(weights)
    counts = array("i", (int(w * scale) for w in weights))
    owners = [i for i, w in enumerate(weights) if w]
    for i in rng.choices(owners, k=total - sum(counts)):
        counts[i] += 1
    return counts

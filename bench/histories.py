"""Decisions with their parts, recommendations and assessment histories, drawn in a fixed
order from one random generator (the same seed gives the same record) and written in chunks.
"""

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from app.services.compliance import derive_compliance
from app.vocab import Status
from bench.shape import (
    ACTIONS,
    ASSERTED_BY,
    CURRENCY,
    DECISION_KINDS,
    END,
    EURO,
    FIRST_STATUS,
    NEXT_STATUS,
    OUTCOMES,
    REC_KINDS,
    REGULATOR_BODIES,
    RELATIONS,
    START,
    TAGS,
    TOPICS,
    Choice,
    Counts,
    allocate,
    zipf,
)
from bench.writers import COLUMNS, PostgresWriter, SqliteWriter

CHUNK = 5_000
# The tables written per chunk of decisions, parents before children.
CHUNK_TABLES = (
    "decisions",
    "decision_regulators",
    "decision_organisations",
    "findings",
    "decision_provisions",
    "decision_sources",
    "decision_tags",
    "decision_relations",
    "recommendations",
    "assessments",
)
Rows = list[tuple[Any, ...]]
Stamp = Callable[[dt.date, int], str]


class Loader:
    """Writes rows through the writer and counts them per table."""

    def __init__(self, writer: SqliteWriter | PostgresWriter) -> None:
        self.writer = writer
        self.rows: Counter[str] = Counter()

    def put(self, table: str, rows: Rows) -> None:
        if rows:
            self.writer.insert(table, COLUMNS[table], rows)
            self.rows[table] += len(rows)


def _day(rng: random.Random, year_choice: Choice) -> dt.date:
    year = year_choice(rng)
    first = dt.date(year, 1, 1)
    last = min(dt.date(year, 12, 31), END)
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


class Decisions:
    """Decisions with their parts, recommendations and assessment histories, written in chunks.

    More decisions in recent years; ids follow the issue dates (records are entered as they
    are issued), so a link to an earlier decision points to a smaller id. The kept columns
    (status, last assessed, compliance) come from the generated history.
    """

    def __init__(
        self,
        rng: random.Random,
        counts: Counts,
        ts: Stamp,
        *,
        jurisdictions: dict[int, str],
        org_names: list[str],
        n_cases: int,
    ) -> None:
        self.rng, self.counts, self.ts = rng, counts, ts
        self.jurisdictions, self.org_names, self.n_cases = jurisdictions, org_names, n_cases
        # The draws below are made in this order: the same seed gives the same record.
        year_choice = Choice([(y, 1 + (y - START.year) * 0.6) for y in range(START.year, END.year + 1)])
        self.days = sorted(_day(rng, year_choice) for _ in range(counts.decisions))
        self.lead = zipf(counts.regulators, 1.1, rng)
        self.respondent = zipf(counts.organisations, 1.0, rng, offset=2.0)
        self.tag_choice = zipf(len(TAGS), 1.0, rng)
        self.dec_kind = Choice(DECISION_KINDS)
        self.outcome = Choice(OUTCOMES)
        self.rec_kind = Choice(REC_KINDS)
        self.asserted = Choice(ASSERTED_BY)
        self.relation = Choice(RELATIONS)
        self.first_status = Choice(FIRST_STATUS)
        self.next_status = {k: Choice(v) for k, v in NEXT_STATUS.items()}
        self.other_role = Choice((("client", 40), ("complainant", 35), ("affected", 20), ("other", 5)))
        self.recs_per_decision = allocate(
            counts.recommendations, counts.decisions, rng, zero_share=0.12, alpha=1.3, cap=400
        )
        self.assessments_per_rec = allocate(
            counts.assessments, counts.recommendations, rng, zero_share=0.2, alpha=1.6, cap=60
        )
        self.rec_id = 0
        self.assessment_id = 0
        self.finding_id = 0
        self.status_totals: Counter[str] = Counter()
        self.compliance_totals: Counter[str] = Counter()

    def write(self, load: Loader) -> None:
        for start in range(0, self.counts.decisions, CHUNK):
            rows: dict[str, Rows] = {table: [] for table in CHUNK_TABLES}
            for index in range(start, min(start + CHUNK, self.counts.decisions)):
                self.decision(index, rows)
            for table in CHUNK_TABLES:
                load.put(table, rows[table])

    def decision(self, index: int, rows: dict[str, Rows]) -> None:
        """One decision and everything that hangs off it, appended to `rows`."""
        rng = self.rng
        did = index + 1
        issued = self.days[index]
        kind = self.dec_kind(rng)
        lead_id = self.lead(rng)
        regs = [lead_id]
        if rng.random() < 0.12:
            regs += [self.lead(rng) for _ in range(rng.randint(1, 3))]
        regs = list(dict.fromkeys(regs))
        rows["decision_regulators"] += [
            (did, r, "lead" if p == 0 else "joint", p) for p, r in enumerate(regs)
        ]
        resp = self.respondent(rng)
        orgs = [resp]
        if rng.random() < 0.25:
            orgs.append(rng.randrange(1, self.counts.organisations + 1))
        orgs = list(dict.fromkeys(orgs))
        rows["decision_organisations"] += [
            (did, o, "respondent" if p == 0 else self.other_role(rng), p) for p, o in enumerate(orgs)
        ]
        topic = rng.choice(TOPICS)
        country = self.jurisdictions[lead_id][:2]
        penalty, currency = None, None
        if kind in ("fine", "penalty") or rng.random() < 0.08:
            penalty = f"{10 ** rng.uniform(3, 8.5):.2f}"
            currency = CURRENCY.get(country, "EUR" if country in EURO else "USD")
        case_id = rng.randrange(1, self.n_cases + 1) if rng.random() < 0.1 else None
        self.parts(did, issued, lead_id, resp, topic, rows)
        statuses: Counter[Status] = Counter(
            self.recommendation(did, issued, topic, orgs, rows) for _ in range(self.recs_per_decision[index])
        )
        compliance = derive_compliance(statuses).value
        self.compliance_totals[compliance] += 1
        respondent = self.org_names[resp - 1]
        rows["decisions"].append(
            (
                did,
                f"R{lead_id}-{issued.year}-{did:07d}",
                f"{kind.replace('_', ' ').capitalize()} concerning {respondent}: {topic}",
                kind,
                issued.isoformat(),
                f"The {REGULATOR_BODIES[lead_id % len(REGULATOR_BODIES)].lower()} examined {topic} "
                f"by {respondent} and set out its findings and what it asks of the parties.",
                case_id,
                penalty,
                currency,
                compliance,
                1,
                self.ts(issued, did),
                self.ts(issued, did),
            )
        )

    def parts(
        self, did: int, issued: dt.date, lead_id: int, resp: int, topic: str, rows: dict[str, Rows]
    ) -> None:
        """Findings, provisions, a source, tags and perhaps a link to an earlier decision."""
        rng = self.rng
        for p in range(rng.randint(1, 3)):
            self.finding_id += 1
            rows["findings"].append(
                (
                    self.finding_id,
                    did,
                    p,
                    f"The handling of {topic} contravened the law (finding {p + 1}).",
                    f"s. {rng.randint(1, 99)}",
                    resp,
                    self.outcome(rng),
                )
            )
        for p in range(rng.randint(1, 2)):
            rows["decision_provisions"].append((did, p, f"Article {rng.randint(1, 99)}({rng.randint(1, 5)})"))
        rows["decision_sources"].append(
            (
                did,
                did,
                0,
                f"https://regulator{lead_id}.example.org/decisions/{did}",
                f"Decision {did}",
                f"R{lead_id}",
                issued.isoformat(),
            )
        )
        for tag in {self.tag_choice(rng) for _ in range(rng.choice((0, 1, 1, 2, 3)))}:
            rows["decision_tags"].append((did, TAGS[tag - 1]))
        if did > 1 and rng.random() < 0.04:
            earlier = rng.randrange(max(1, did - 5000), did)
            rows["decision_relations"].append((did, earlier, self.relation(rng).value, 0))

    def recommendation(
        self, did: int, issued: dt.date, topic: str, orgs: list[int], rows: dict[str, Rows]
    ) -> Status:
        """A recommendation with its history, addressed mostly to the respondent; its current status."""
        rng = self.rng
        self.rec_id += 1
        n = self.assessments_per_rec[self.rec_id - 1]
        due = issued + dt.timedelta(days=rng.randint(30, 540)) if rng.random() < 0.7 else None
        latest = self.history(issued, n, rows["assessments"])
        current = latest[2] if latest else Status.pending
        self.status_totals[current.value] += 1
        org = orgs[0] if len(orgs) == 1 or rng.random() < 0.9 else orgs[1]
        rows["recommendations"].append(
            (
                self.rec_id,
                did,
                org,
                f"{rng.choice(ACTIONS)} {topic} data within the time set.",
                self.rec_kind(rng),
                due.isoformat() if due else None,
                current.value,
                latest[0].isoformat() if latest else None,
                "entered" if latest else None,  # every generated assessment is entered, reviewed
                True if latest else None,
                1 + n,
                self.ts(issued, self.rec_id),
                self.ts(issued, self.rec_id),
            )
        )
        return current

    def history(self, issued: dt.date, n: int, assessments: Rows) -> tuple[dt.date, int, Status] | None:
        """`n` assessments moving through the status chain, some dated before the decision and 10%
        recorded out of date order; returns the latest (by day, then id), which sets the status."""
        rng = self.rng
        history = []
        day = issued - dt.timedelta(days=rng.randint(1, 240)) if rng.random() < 0.05 else issued
        status = self.first_status(rng)
        for _ in range(n):
            day = min(END, day + dt.timedelta(days=int(rng.expovariate(1 / 150))))
            history.append((day, status))
            status = self.next_status[status](rng)
        if n > 1 and rng.random() < 0.1:
            rng.shuffle(history)  # recorded out of date order: ids no longer follow the dates
        latest: tuple[dt.date, int, Status] | None = None
        for day, status in history:
            self.assessment_id += 1
            aid = self.assessment_id
            if latest is None or (day, aid) > latest[:2]:
                latest = (day, aid, status)
            by = self.asserted(rng)
            assessments.append(
                (
                    aid,
                    self.rec_id,
                    status.value,
                    day.isoformat(),
                    by,
                    f"Status reported by the {by}." if rng.random() < 0.5 else None,
                    f"https://news{rng.randint(1, 50)}.example.net/{aid}" if rng.random() < 0.4 else None,
                    None,
                    None,
                    self.ts(day, aid),
                    "bench",
                    "bench",
                    "entered",
                    True,
                    "not_needed",
                    1,
                )
            )
        return latest

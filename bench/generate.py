"""A realistic synthetic record at a chosen scale, loaded fast into a migrated database.

    python -m bench.generate --scale 0.01 --out bench/out/bench-0.01.sqlite3
    python -m bench.generate --url postgresql+psycopg://user@localhost/findings_bench

At scale 1: 1,000 regulators, 100,000 organisations, 200,000 decisions, 1,000,000
recommendations and 2,000,000 assessments, with skewed distributions like the real record's:
decisions per regulator and per respondent follow a Zipf-like law (a few regulators and a few
big respondents account for much of the record), more decisions in recent years, a heavy tail
of recommendations per decision and of assessments per recommendation, status histories that
move through a Markov chain towards compliance (with relapses, disputes and withdrawals),
some assessments dated before their decision and some recorded out of date order.

The schema comes from the project's migrations (`app.migrate.upgrade`); the rows are written
with bulk inserts (sqlite3 `executemany` with loading PRAGMAs, or PostgreSQL `COPY`), the
secondary indexes of the big tables rebuilt once at the end. The kept columns (a
recommendation's `status` and `last_assessed_on`, a decision's `compliance`) are computed here
with the app's own rule (`derive_compliance`) from the generated history, so they equal what
the services would derive. The same seed gives the same record.
"""

import argparse
import bisect
import datetime as dt
import itertools
import json
import random
import sqlite3
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app import migrate
from app.services.compliance import derive_compliance
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
CHUNK = 5_000
# Tables whose secondary indexes are dropped while loading and rebuilt once at the end.
BIG_TABLES = (
    "decisions",
    "decision_regulators",
    "decision_organisations",
    "decision_tags",
    "decision_sources",
    "decision_relations",
    "findings",
    "recommendations",
    "assessments",
    "organisations",
    "organisation_aliases",
)


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


# -- Writers ------------------------------------------------------------------------------


class SqliteWriter:
    """sqlite3 directly: one transaction, no journal sync, a big cache, executemany."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode=OFF",
            "synchronous=OFF",
            "foreign_keys=OFF",
            "cache_size=-1000000",
            "temp_store=MEMORY",
            "locking_mode=EXCLUSIVE",
        ):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN")
        self.indexes = [
            (name, sql)
            for name, sql in self.conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({','.join('?' * len(BIG_TABLES))})",
                BIG_TABLES,
            )
        ]
        for name, _ in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    @staticmethod
    def timestamp(day: dt.date, seconds: int) -> str:
        return (
            f"{day.isoformat()} {seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000"
        )

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        self.conn.executemany(sql, rows)

    def finish(self, *, analyze: bool) -> None:
        for _, sql in self.indexes:
            self.conn.execute(sql)
        if analyze:
            self.conn.execute("ANALYZE")
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA locking_mode=NORMAL")
        # The app runs in WAL mode; leave the file ready for it.
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()


class PostgresWriter:
    """psycopg (3) with COPY ... FROM STDIN, then the id sequences moved past the loaded rows."""

    def __init__(self, url: str) -> None:
        import psycopg

        parsed = make_url(url).set(drivername="postgresql")
        self.conn = psycopg.connect(parsed.render_as_string(hide_password=False))
        self.tables: set[str] = set()

    @staticmethod
    def timestamp(day: dt.date, seconds: int) -> str:
        return SqliteWriter.timestamp(day, seconds) + "+00"

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.tables.add(table)
        with (
            self.conn.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def finish(self, *, analyze: bool) -> None:
        with self.conn.cursor() as cursor:
            for table in sorted(self.tables):
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id') FROM information_schema.columns "
                    "WHERE table_name = %s AND column_name = 'id'",
                    (table, table),
                )
                (sequence,) = cursor.fetchone() or (None,)
                if sequence:
                    cursor.execute(
                        f"SELECT setval(%s, COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)",
                        (sequence,),
                    )
            if analyze:
                cursor.execute("ANALYZE")
        self.conn.commit()
        self.conn.close()


# -- The record ---------------------------------------------------------------------------


def _day(rng: random.Random, year_choice: Choice) -> dt.date:
    year = year_choice(rng)
    first = dt.date(year, 1, 1)
    last = min(dt.date(year, 12, 31), END)
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def generate(target: str, *, scale: float = 1.0, seed: int = 7, analyze: bool = False) -> dict[str, Any]:
    """Build the record at `target` (a SQLite file path or a database URL); return a summary."""
    started = time.perf_counter()
    if "://" in target:
        url = target
        sqlite_path = Path(make_url(url).database or "") if url.startswith("sqlite") else None
    else:
        sqlite_path = Path(target)
        url = f"sqlite:///{sqlite_path}"
    if sqlite_path is not None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    migrate.upgrade(url)
    writer: SqliteWriter | PostgresWriter = (
        SqliteWriter(sqlite_path) if sqlite_path is not None else PostgresWriter(url)
    )
    counts = Counts.at(scale)
    rng = random.Random(seed)
    ts = writer.timestamp
    stats: Counter[str] = Counter()

    def put(table: str, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
        if rows:
            writer.insert(table, columns, rows)
            stats[table] += len(rows)

    # Regulators: a country or a subdivision each, mostly regulators, some courts.
    reg_kind = Choice(REGULATOR_KINDS)
    regulators = []
    jurisdictions = {}
    for i in range(1, counts.regulators + 1):
        country = COUNTRIES[i % len(COUNTRIES)] if i <= len(COUNTRIES) else rng.choice(COUNTRIES)
        jurisdiction = country if rng.random() < 0.7 else f"{country}-{rng.choice(SUBDIVISIONS)}"
        body = rng.choice(REGULATOR_BODIES)
        jurisdictions[i] = jurisdiction
        regulators.append(
            (
                i,
                f"{body} ({jurisdiction}) no. {i}",
                f"R{i}",
                jurisdiction,
                reg_kind(rng),
                f"https://regulator{i}.example.org",
                1,
                ts(START, i),
                ts(START, i),
            )
        )
    put(
        "regulators",
        (
            "id",
            "name",
            "short_name",
            "jurisdiction",
            "kind",
            "website",
            "version",
            "created_at",
            "updated_at",
        ),
        regulators,
    )

    # Organisations: mostly companies; a few belong to a parent; a few have an alias.
    org_kind = Choice(ORG_KINDS)
    organisations, aliases = [], []
    org_names = []
    for i in range(1, counts.organisations + 1):
        name = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_TRADES)} {rng.choice(ORG_FORMS)} #{i}"
        org_names.append(name)
        parent = rng.randrange(1, i) if i > 10 and rng.random() < 0.03 else None
        organisations.append(
            (
                i,
                name,
                org_kind(rng),
                rng.choice(COUNTRIES),
                f"https://org{i}.example.com",
                parent,
                1,
                ts(START, i),
                ts(START, i),
            )
        )
        if rng.random() < 0.05:
            aliases.append((len(aliases) + 1, i, 0, name.split(" #")[0]))
        if len(organisations) >= 50_000:
            put(
                "organisations",
                (
                    "id",
                    "name",
                    "kind",
                    "country",
                    "website",
                    "parent_id",
                    "version",
                    "created_at",
                    "updated_at",
                ),
                organisations,
            )
            organisations = []
    put(
        "organisations",
        ("id", "name", "kind", "country", "website", "parent_id", "version", "created_at", "updated_at"),
        organisations,
    )
    put("organisation_aliases", ("id", "organisation_id", "position", "alias"), aliases)

    # Cases gather some decisions about the same conduct.
    n_cases = max(1, counts.decisions // 40)
    put(
        "cases",
        ("id", "title", "summary", "version", "created_at", "updated_at"),
        [
            (i, f"Case {i}: {rng.choice(TOPICS)}", None, 1, ts(START, i), ts(START, i))
            for i in range(1, n_cases + 1)
        ],
    )

    # Decisions: more of them in recent years; ids follow the issue dates (records are
    # entered as they are issued), so a link to an earlier decision points to a smaller id.
    year_choice = Choice([(y, 1 + (y - START.year) * 0.6) for y in range(START.year, END.year + 1)])
    days = sorted(_day(rng, year_choice) for _ in range(counts.decisions))
    lead = zipf(counts.regulators, 1.1, rng)
    respondent = zipf(counts.organisations, 1.0, rng, offset=2.0)
    tag_choice = zipf(len(TAGS), 1.0, rng)
    dec_kind = Choice(DECISION_KINDS)
    outcome = Choice(OUTCOMES)
    rec_kind = Choice(REC_KINDS)
    asserted = Choice(ASSERTED_BY)
    relation = Choice(RELATIONS)
    first_status = Choice(FIRST_STATUS)
    next_status = {k: Choice(v) for k, v in NEXT_STATUS.items()}
    other_role = Choice((("client", 40), ("complainant", 35), ("affected", 20), ("other", 5)))
    recs_per_decision = allocate(
        counts.recommendations, counts.decisions, rng, zero_share=0.12, alpha=1.3, cap=400
    )
    assessments_per_rec = allocate(
        counts.assessments, counts.recommendations, rng, zero_share=0.2, alpha=1.6, cap=60
    )

    rec_id = 0
    assessment_id = 0
    status_totals: Counter[str] = Counter()
    compliance_totals: Counter[str] = Counter()
    for chunk_start in range(0, counts.decisions, CHUNK):
        decisions, d_regs, d_orgs, findings, provisions, sources, tags, relations = ([] for _ in range(8))
        recommendations, assessments = [], []
        for index in range(chunk_start, min(chunk_start + CHUNK, counts.decisions)):
            did = index + 1
            issued = days[index]
            kind = dec_kind(rng)
            lead_id = lead(rng)
            regs = [lead_id]
            if rng.random() < 0.12:
                regs += [lead(rng) for _ in range(rng.randint(1, 3))]
            regs = list(dict.fromkeys(regs))
            d_regs += [(did, r, "lead" if p == 0 else "joint", p) for p, r in enumerate(regs)]
            resp = respondent(rng)
            orgs = [resp]
            if rng.random() < 0.25:
                orgs.append(rng.randrange(1, counts.organisations + 1))
            orgs = list(dict.fromkeys(orgs))
            d_orgs += [(did, o, "respondent" if p == 0 else other_role(rng), p) for p, o in enumerate(orgs)]
            topic = rng.choice(TOPICS)
            jurisdiction = jurisdictions[lead_id]
            country = jurisdiction[:2]
            penalty, currency = None, None
            if kind in ("fine", "penalty") or rng.random() < 0.08:
                penalty = f"{10 ** rng.uniform(3, 8.5):.2f}"
                currency = CURRENCY.get(country, "EUR" if country in EURO else "USD")
            decisions.append(
                (
                    did,
                    f"R{lead_id}-{issued.year}-{did:07d}",
                    f"{kind.replace('_', ' ').capitalize()} concerning {org_names[resp - 1]}: {topic}",
                    kind,
                    issued.isoformat(),
                    f"The {REGULATOR_BODIES[lead_id % len(REGULATOR_BODIES)].lower()} examined {topic} "
                    f"by {org_names[resp - 1]} and set out its findings and what it asks of the parties.",
                    rng.randrange(1, n_cases + 1) if rng.random() < 0.1 else None,
                    penalty,
                    currency,
                    None,
                    1,
                    ts(issued, did),
                    ts(issued, did),
                )
            )
            for p in range(rng.randint(1, 3)):
                stats["finding_ids"] += 1
                findings.append(
                    (
                        stats["finding_ids"],
                        did,
                        p,
                        f"The handling of {topic} contravened the law (finding {p + 1}).",
                        f"s. {rng.randint(1, 99)}",
                        resp,
                        outcome(rng),
                    )
                )
            for p in range(rng.randint(1, 2)):
                provisions.append((did, p, f"Article {rng.randint(1, 99)}({rng.randint(1, 5)})"))
            sources.append(
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
            for tag in {tag_choice(rng) for _ in range(rng.choice((0, 1, 1, 2, 3)))}:
                tags.append((did, TAGS[tag - 1]))
            if did > 1 and rng.random() < 0.04:
                earlier = rng.randrange(max(1, did - 5000), did)
                relations.append((did, earlier, relation(rng).value, 0))

            # Recommendations and their histories; the kept columns from the history.
            decision_counts: Counter[Status] = Counter()
            for _ in range(recs_per_decision[index]):
                rec_id += 1
                n = assessments_per_rec[rec_id - 1]
                due = issued + dt.timedelta(days=rng.randint(30, 540)) if rng.random() < 0.7 else None
                history = []
                day = issued - dt.timedelta(days=rng.randint(1, 240)) if rng.random() < 0.05 else issued
                status = first_status(rng)
                for _ in range(n):
                    day = min(END, day + dt.timedelta(days=int(rng.expovariate(1 / 150))))
                    history.append((day, status))
                    status = next_status[status](rng)
                if n > 1 and rng.random() < 0.1:
                    rng.shuffle(history)  # recorded out of date order: ids no longer follow the dates
                latest: tuple[dt.date, int, Status] | None = None
                for day, status in history:
                    assessment_id += 1
                    if latest is None or (day, assessment_id) > latest[:2]:
                        latest = (day, assessment_id, status)
                    by = asserted(rng)
                    assessments.append(
                        (
                            assessment_id,
                            rec_id,
                            status.value,
                            day.isoformat(),
                            by,
                            f"Status reported by the {by}." if rng.random() < 0.5 else None,
                            f"https://news{rng.randint(1, 50)}.example.net/{assessment_id}"
                            if rng.random() < 0.4
                            else None,
                            None,
                            None,
                            ts(day, assessment_id),
                            "bench",
                            "bench",
                        )
                    )
                current = latest[2] if latest else Status.pending
                decision_counts[current] += 1
                status_totals[current.value] += 1
                org = resp if len(orgs) == 1 or rng.random() < 0.9 else orgs[1]
                recommendations.append(
                    (
                        rec_id,
                        did,
                        org,
                        f"{rng.choice(ACTIONS)} {topic} data within the time set.",
                        rec_kind(rng),
                        due.isoformat() if due else None,
                        current.value,
                        latest[0].isoformat() if latest else None,
                        1 + n,
                        ts(issued, rec_id),
                        ts(issued, rec_id),
                    )
                )
            compliance = derive_compliance(decision_counts).value
            compliance_totals[compliance] += 1
            decisions[-1] = (*decisions[-1][:9], compliance, *decisions[-1][10:])

        put(
            "decisions",
            (
                "id",
                "reference",
                "title",
                "kind",
                "issued_on",
                "summary",
                "case_id",
                "penalty_amount",
                "penalty_currency",
                "compliance",
                "version",
                "created_at",
                "updated_at",
            ),
            decisions,
        )
        put("decision_regulators", ("decision_id", "regulator_id", "role", "position"), d_regs)
        put("decision_organisations", ("decision_id", "organisation_id", "role", "position"), d_orgs)
        put(
            "findings",
            ("id", "decision_id", "position", "text", "provision", "organisation_id", "outcome"),
            findings,
        )
        put("decision_provisions", ("decision_id", "position", "provision"), provisions)
        put(
            "decision_sources",
            ("id", "decision_id", "position", "url", "title", "publisher", "published_on"),
            sources,
        )
        put("decision_tags", ("decision_id", "tag"), tags)
        put("decision_relations", ("decision_id", "related_decision_id", "relation", "position"), relations)
        put(
            "recommendations",
            (
                "id",
                "decision_id",
                "organisation_id",
                "text",
                "kind",
                "due_on",
                "status",
                "last_assessed_on",
                "version",
                "created_at",
                "updated_at",
            ),
            recommendations,
        )
        put(
            "assessments",
            (
                "id",
                "recommendation_id",
                "status",
                "assessed_on",
                "asserted_by",
                "note",
                "source_url",
                "source_title",
                "source_quote",
                "recorded_at",
                "recorded_by",
                "recorded_by_name",
            ),
            assessments,
        )

    loaded = time.perf_counter()
    writer.finish(analyze=analyze)
    finished = time.perf_counter()
    return {
        "url": url if sqlite_path is None else str(sqlite_path),
        "scale": scale,
        "seed": seed,
        "analyzed": analyze,
        "counts": asdict(counts),
        "rows": {k: v for k, v in stats.items() if k != "finding_ids"},
        "statuses": dict(status_totals),
        "compliance": dict(compliance_totals),
        "seconds": {
            "load": round(loaded - started, 1),
            "indexes": round(finished - loaded, 1),
            "total": round(finished - started, 1),
        },
        "bytes": sqlite_path.stat().st_size if sqlite_path is not None else None,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the full default record")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", help="SQLite file to (re)create (default bench/out/bench-SCALE.sqlite3)")
    parser.add_argument("--url", help="a database URL instead of --out (postgresql+psycopg://...)")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE after loading")
    args = parser.parse_args(argv)
    target = args.url or args.out or f"bench/out/bench-{args.scale:g}.sqlite3"
    summary = generate(target, scale=args.scale, seed=args.seed, analyze=args.analyze)
    if "://" not in target:
        Path(f"{target}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()

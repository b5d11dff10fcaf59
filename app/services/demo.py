"""The demo record: Clearview AI before regulators in Canada and Europe.

The Canadian report follows the news report in `shared/seed/` (3 February 2021): four
commissioners found Clearview's scraping illegal, made three recommendations, and Clearview
followed one (it had left Canada in July 2020) and not the other two. The European decisions
follow the public GDPR fines record (dates and amounts) and the UK appeal chain described in
the project's design: fined in 2022, overturned by a tribunal in 2023, remitted in 2025.

Loading is idempotent: a decision whose reference is already present is left alone, and
regulators, organisations and the case are matched by name.

About 450 lines, most of them the record itself (its decisions, recommendations and
assessments as data): the loading code is the last 110.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Case, Decision, Organisation, Regulator
from app.schemas.case import CaseCreate
from app.schemas.decision import DecisionCreate
from app.schemas.filters import RecommendationFilter
from app.schemas.languages import RecommendationTranslationIn
from app.schemas.organisation import OrganisationCreate
from app.schemas.recommendation import AssessmentCreate, RecommendationCreate
from app.schemas.regulator import RegulatorCreate
from app.services.record import cases, decision_edits, organisations, recommendations, regulators
from app.vocab import AssertedBy, OrganisationKind, RecommendationKind, RegulatorKind

D = dt.date
SEED_URL = (
    "https://sputniknews.com/world/202102031081973028-canadian-privacy-commissioners-"
    "say-clearview-ai-engaged-in-illegal-mass-surveillance/"
)
SEED_TITLE = "Canadian Privacy Commissioners Say Clearview AI Engaged in Illegal Mass Surveillance"

REGULATORS = {
    "OPC": ("Office of the Privacy Commissioner of Canada", "CA", "regulator", "https://www.priv.gc.ca"),
    "OIPC AB": (
        "Office of the Information and Privacy Commissioner of Alberta",
        "CA-AB",
        "regulator",
        "https://oipc.ab.ca",
    ),
    "OIPC BC": (
        "Office of the Information and Privacy Commissioner for British Columbia",
        "CA-BC",
        "regulator",
        "https://www.oipc.bc.ca",
    ),
    "CAI": (
        "Commission d'accès à l'information du Québec",
        "CA-QC",
        "regulator",
        "https://www.cai.gouv.qc.ca",
    ),
    "ICO": ("Information Commissioner's Office", "GB", "regulator", "https://ico.org.uk"),
    "FTT (GRC)": ("First-tier Tribunal (General Regulatory Chamber)", "GB", "tribunal", None),
    "UT (AAC)": ("Upper Tribunal (Administrative Appeals Chamber)", "GB", "tribunal", None),
    "Garante": (
        "Garante per la protezione dei dati personali",
        "IT",
        "regulator",
        "https://www.garanteprivacy.it",
    ),
    "HDPA": ("Hellenic Data Protection Authority", "GR", "regulator", "https://www.dpa.gr"),
    "CNIL": (
        "Commission nationale de l'informatique et des libertés",
        "FR",
        "regulator",
        "https://www.cnil.fr",
    ),
}

ORGANISATIONS = {
    "clearview": OrganisationCreate(
        name="Clearview AI, Inc.",
        aliases=["Clearview", "Clearview AI", "Clearview Al"],
        kind=OrganisationKind.company,
        country="US",
        website="https://www.clearview.ai",
    ),
    "rcmp": OrganisationCreate(
        name="Royal Canadian Mounted Police",
        aliases=["RCMP", "Gendarmerie royale du Canada"],
        kind=OrganisationKind.law_enforcement,
        country="CA",
        website="https://www.rcmp-grc.gc.ca",
    ),
}

CASE = CaseCreate(
    title="Clearview AI facial-recognition scraping",
    summary="Clearview AI scraped billions of face images from the internet to build a "
    "facial-recognition database sold to police and companies. Regulators in Canada, "
    "Europe and elsewhere found it unlawful, fined it and ordered it to stop and delete.",
    tags=["facial-recognition", "biometrics", "scraping"],
)


def _decisions() -> list[dict[str, Any]]:
    """The demo decisions in the order they were issued, each with its recommendations."""
    gdpr = ["GDPR"]
    return [
        {
            "reference": "PIPEDA Findings #2021-001",
            "title": "Joint investigation of Clearview AI, Inc. by the privacy commissioners of "
            "Canada, Quebec, British Columbia and Alberta",
            "kind": "report_of_findings",
            "issued_on": D(2021, 2, 3),
            "summary": "Clearview AI's collection of billions of images, including photos of "
            "Canadians of all ages, to offer facial recognition to police and "
            "companies is mass surveillance and illegal. Clearview had 48 contracts "
            "with law enforcement in Canada; it wound down its Canadian operations "
            "during the investigation and cut ties with the RCMP, its last client, "
            "in July 2020. The commissioners may seek legal action should it keep "
            "ignoring their recommendations.",
            # Published in English and French: the French title is the commissioners' own.
            "translations": {
                "fr": {
                    "title": "Enquête conjointe sur Clearview AI, Inc. par le Commissariat à la protection "
                    "de la vie privée du Canada, la Commission d'accès à l'information du Québec, le "
                    "Commissariat à l'information et à la protection de la vie privée de la "
                    "Colombie-Britannique et le Commissariat à l'information et à la protection de la "
                    "vie privée de l'Alberta",
                    "summary": "La collecte par Clearview AI de milliards d'images, dont des photos de "
                    "Canadiens de tous âges, pour offrir la reconnaissance faciale à des corps policiers "
                    "et à des entreprises constitue une surveillance de masse et est illégale. Clearview "
                    "avait conclu 48 contrats avec des organismes d'application de la loi au Canada; elle "
                    "a mis fin à ses activités canadiennes pendant l'enquête et rompu avec la GRC, sa "
                    "dernière cliente, en juillet 2020. Les commissaires pourraient intenter une action "
                    "en justice si elle continue d'ignorer leurs recommandations.",
                }
            },
            "recommendation_translations": [
                "Cesser d'offrir ses services de reconnaissance faciale à des clients au Canada.",
                "Cesser de recueillir des images de personnes au Canada.",
                "Supprimer les images et les données biométriques déjà recueillies auprès de personnes "
                "au Canada.",
            ],
            "regulators": [("OPC", "lead"), ("OIPC AB", "joint"), ("OIPC BC", "joint"), ("CAI", "joint")],
            "organisations": [("clearview", "respondent"), ("rcmp", "client")],
            "provisions": [
                "Personal Information Protection and Electronic Documents Act (PIPEDA)",
                "Personal Information Protection Act (Alberta)",
                "Personal Information Protection Act (British Columbia)",
                "Act respecting the protection of personal information in the private sector (Quebec)",
            ],
            "findings": [
                {
                    "text": "Clearview collected, used and disclosed images and biometric data of "
                    "Canadians without their consent.",
                    "provision": "PIPEDA s. 6.1 and 7",
                    "org": "clearview",
                    "outcome": "well_founded",
                },
                {
                    "text": "Collecting billions of images of people who will never be implicated in "
                    "any crime, to keep them in a perpetual police line-up, is mass "
                    "surveillance: a purpose a reasonable person would not find appropriate.",
                    "provision": "PIPEDA s. 5(3)",
                    "org": "clearview",
                    "outcome": "well_founded",
                },
            ],
            "sources": [
                {"url": SEED_URL, "title": SEED_TITLE, "publisher": "Sputnik", "published_on": D(2021, 2, 3)}
            ],
            "tags": ["facial-recognition", "biometrics", "law-enforcement"],
            "recommendations": [
                (
                    "Stop offering its facial-recognition services to clients in Canada.",
                    None,
                    [
                        (
                            "complied",
                            D(2020, 7, 31),
                            "Clearview wound down its operations in Canada "
                            "and cut ties with the RCMP, its only remaining client, in July 2020.",
                        )
                    ],
                ),
                (
                    "Stop collecting images of individuals in Canada.",
                    None,
                    [
                        (
                            "not_complied",
                            D(2021, 2, 3),
                            "The commissioners said Clearview had not complied with this recommendation.",
                        )
                    ],
                ),
                (
                    "Delete the images and biometric data already collected from individuals in Canada.",
                    None,
                    [
                        (
                            "not_complied",
                            D(2021, 2, 3),
                            "The commissioners said Clearview had not complied with this recommendation.",
                        )
                    ],
                ),
            ],
        },
        {
            "reference": "Garante 9751362 (2022)",
            "title": "Order and fine against Clearview AI",
            "kind": "fine",
            "issued_on": D(2022, 2, 10),
            "summary": "The Italian authority fined Clearview AI EUR 20 million for biometric "
            "monitoring of people in Italy, banned further collection and ordered "
            "the deletion of the data of people in Italy.",
            "regulators": [("Garante", "lead")],
            "organisations": [("clearview", "respondent")],
            "penalty": (Decimal("20000000"), "EUR"),
            "provisions": [
                "GDPR Art. 5(1)(a), (b), (e)",
                "GDPR Art. 6",
                "GDPR Art. 9",
                "GDPR Art. 12-15",
                "GDPR Art. 27",
            ],
            "tags": ["facial-recognition", "biometrics"],
            "recommendations": [
                ("Delete the personal data, including biometric data, of people in Italy.", None, []),
                ("Designate a representative in the European Union.", None, []),
            ],
        },
        {
            "reference": "ICO MPN Clearview AI Inc (2022)",
            "title": "Monetary penalty notice and enforcement notice: Clearview AI Inc",
            "kind": "fine",
            "issued_on": D(2022, 5, 18),
            "summary": "The UK Information Commissioner fined Clearview AI GBP 7,552,800 and "
            "ordered it to stop obtaining and using the personal data of UK "
            "residents and to delete it.",
            "regulators": [("ICO", "lead")],
            "organisations": [("clearview", "respondent")],
            "penalty": (Decimal("7552800"), "GBP"),
            "provisions": [*gdpr, "UK GDPR Art. 5, 6, 9, 14, 15, 16, 17, 21, 22, 35"],
            "tags": ["facial-recognition", "biometrics"],
            "recommendations": [
                (
                    "Stop obtaining and using the personal data of UK residents that is publicly "
                    "available on the internet.",
                    None,
                    [("disputed", D(2022, 5, 18), "Clearview appealed to the First-tier Tribunal.")],
                ),
                (
                    "Delete the data of UK residents from its systems.",
                    None,
                    [("disputed", D(2022, 5, 18), "Clearview appealed to the First-tier Tribunal.")],
                ),
            ],
        },
        {
            "reference": "HDPA 35/2022",
            "title": "Fine against Clearview AI Inc",
            "kind": "fine",
            "issued_on": D(2022, 7, 13),
            "summary": "The Hellenic authority fined Clearview AI EUR 20 million on a complaint "
            "filed by Homo Digitalis on behalf of data subjects.",
            "regulators": [("HDPA", "lead")],
            "organisations": [("clearview", "respondent")],
            "penalty": (Decimal("20000000"), "EUR"),
            "provisions": ["GDPR Art. 5(1)(a)", "GDPR Art. 6", "GDPR Art. 9", "GDPR Art. 27"],
            "tags": ["facial-recognition", "biometrics"],
            "recommendations": [],
        },
        {
            "reference": "CNIL SAN-2022-019",
            "title": "Sanction against Clearview AI",
            "kind": "fine",
            "issued_on": D(2022, 10, 17),
            "summary": "The CNIL fined Clearview AI EUR 20 million and ordered it to stop "
            "collecting and using the data of people in France and to delete it "
            "within two months, on pain of a penalty payment.",
            "regulators": [("CNIL", "lead")],
            "organisations": [("clearview", "respondent")],
            "penalty": (Decimal("20000000"), "EUR"),
            "provisions": ["GDPR Art. 6", "GDPR Art. 12", "GDPR Art. 15", "GDPR Art. 17", "GDPR Art. 31"],
            "tags": ["facial-recognition", "biometrics"],
            "recommendations": [
                (
                    "Stop collecting and using the data of people in France without a legal basis, "
                    "and delete the data already collected.",
                    D(2022, 12, 17),
                    [
                        (
                            "not_complied",
                            D(2023, 5, 10),
                            "The CNIL found the order not complied with and liquidated the penalty payment.",
                        )
                    ],
                ),
            ],
        },
        {
            "reference": "CNIL penalty payment Clearview AI (2023)",
            "title": "Liquidation of the penalty payment against Clearview AI",
            "kind": "penalty",
            "issued_on": D(2023, 5, 10),
            "summary": "Clearview AI had not complied with the 2022 order; the CNIL imposed an "
            "overdue penalty payment of EUR 5.2 million.",
            "regulators": [("CNIL", "lead")],
            "organisations": [("clearview", "respondent")],
            "penalty": (Decimal("5200000"), "EUR"),
            "related": [("CNIL SAN-2022-019", "enforces")],
            "tags": ["facial-recognition"],
            "recommendations": [],
        },
        {
            "reference": "[2023] UKFTT 819 (GRC)",
            "title": "Clearview AI Inc v The Information Commissioner",
            "kind": "judgment",
            "issued_on": D(2023, 10, 17),
            "summary": "The First-tier Tribunal allowed Clearview's appeal: it held that the "
            "Commissioner had no jurisdiction, as Clearview's clients were foreign "
            "law-enforcement agencies, and overturned the fine and the enforcement "
            "notice.",
            "regulators": [("FTT (GRC)", "lead")],
            "organisations": [("clearview", "complainant")],
            "related": [("ICO MPN Clearview AI Inc (2022)", "overturns")],
            "tags": ["facial-recognition", "appeal"],
            "recommendations": [],
            "assess_earlier": [
                (
                    "ICO MPN Clearview AI Inc (2022)",
                    "withdrawn",
                    D(2023, 10, 17),
                    "court",
                    "The First-tier Tribunal overturned the notices.",
                )
            ],
        },
        {
            "reference": "Information Commissioner v Clearview AI Inc (UT 2025)",
            "title": "Information Commissioner v Clearview AI Inc",
            "kind": "judgment",
            "issued_on": D(2025, 10, 7),
            "summary": "The Upper Tribunal allowed the Commissioner's appeal, held that the "
            "processing fell within the UK GDPR's reach, set the First-tier "
            "Tribunal's decision aside and remitted the case to it.",
            "regulators": [("UT (AAC)", "lead")],
            "organisations": [("clearview", "respondent")],
            "related": [
                ("[2023] UKFTT 819 (GRC)", "overturns"),
                ("ICO MPN Clearview AI Inc (2022)", "remits"),
            ],
            "tags": ["facial-recognition", "appeal"],
            "recommendations": [],
            "assess_earlier": [
                (
                    "ICO MPN Clearview AI Inc (2022)",
                    "disputed",
                    D(2025, 10, 7),
                    "court",
                    "Remitted to the First-tier Tribunal; the notices are contested again.",
                )
            ],
        },
    ]


def _regulator(session: Session, short: str) -> int:
    name, jurisdiction, kind, website = REGULATORS[short]
    found = session.scalar(select(Regulator.id).where(Regulator.name == name))
    if found is not None:
        return found
    return regulators.create(
        session,
        data=RegulatorCreate(
            name=name, short_name=short, jurisdiction=jurisdiction, kind=RegulatorKind(kind), website=website
        ),
    ).id


def _organisation(session: Session, key: str) -> int:
    data = ORGANISATIONS[key]
    found = session.scalar(select(Organisation.id).where(Organisation.name == data.name))
    return found if found is not None else organisations.create(session, data=data).id


def _case(session: Session) -> int:
    found = session.scalar(select(Case.id).where(Case.title == CASE.title))
    return found if found is not None else cases.create(session, data=CASE).id


def load(session: Session) -> int:
    """Add the demo decisions that are missing; return how many were added."""
    added = 0
    for spec in _decisions():
        if session.scalar(select(Decision.id).where(Decision.reference == spec["reference"])):
            continue
        ids_by_reference = dict(session.execute(select(Decision.reference, Decision.id)).all())
        penalty = spec.get("penalty", (None, None))
        decision = decision_edits.create(
            session,
            data=DecisionCreate.model_validate(
                {
                    "reference": spec["reference"],
                    "title": spec["title"],
                    "kind": spec["kind"],
                    "issued_on": spec["issued_on"],
                    "summary": spec["summary"],
                    "translations": spec.get("translations", {}),
                    "case_id": _case(session),
                    "regulators": [
                        {"regulator_id": _regulator(session, r), "role": role}
                        for r, role in spec["regulators"]
                    ],
                    "organisations": [
                        {"organisation_id": _organisation(session, o), "role": role}
                        for o, role in spec["organisations"]
                    ],
                    "penalty_amount": penalty[0],
                    "penalty_currency": penalty[1],
                    "provisions": spec.get("provisions", []),
                    "sources": spec.get("sources", []),
                    "tags": spec.get("tags", []),
                    "findings": [
                        {
                            "text": f["text"],
                            "provision": f["provision"],
                            "organisation_id": _organisation(session, f["org"]),
                            "outcome": f["outcome"],
                        }
                        for f in spec.get("findings", [])
                    ],
                    "related": [
                        {"decision_id": ids_by_reference[ref], "relation": rel}
                        for ref, rel in spec.get("related", [])
                    ],
                }
            ),
        )
        respondent = _organisation(session, "clearview")
        source = spec.get("sources", [{}])[0] if spec.get("sources") else {}
        french = spec.get("recommendation_translations", [None] * len(spec["recommendations"]))
        for (text, due_on, history), text_fr in zip(spec["recommendations"], french, strict=True):
            rec = recommendations.create(
                session,
                data=RecommendationCreate(
                    decision_id=decision.id,
                    organisation_id=respondent,
                    text=text,
                    kind=RecommendationKind.recommendation
                    if spec["kind"] == "report_of_findings"
                    else RecommendationKind.order,
                    due_on=due_on,
                    translations={"fr": RecommendationTranslationIn(text=text_fr)} if text_fr else {},
                ),
            )
            for status, assessed_on, note in history:
                recommendations.add_assessment(
                    session,
                    recommendation_id=rec.id,
                    data=AssessmentCreate(
                        status=status,
                        assessed_on=assessed_on,
                        asserted_by=AssertedBy.regulator,
                        note=note,
                        source_url=source.get("url"),
                        source_title=source.get("title"),
                    ),
                )
        for ref, status, assessed_on, asserted_by, note in spec.get("assess_earlier", []):
            earlier = session.scalar(select(Decision.id).where(Decision.reference == ref))
            earlier_filter = RecommendationFilter(decision_id=earlier)
            earlier_recs = recommendations.list_(session, earlier_filter, limit=100)
            for rec_read in earlier_recs.items:
                # The court's ruling speaks of the orders; it says nothing of the fine's payment.
                if rec_read.kind == RecommendationKind.payment:
                    continue
                recommendations.add_assessment(
                    session,
                    recommendation_id=rec_read.id,
                    data=AssessmentCreate(
                        status=status, assessed_on=assessed_on, asserted_by=asserted_by, note=note
                    ),
                )
        added += 1
    return added

"""SQLAlchemy tables, one module per aggregate. Importing this package registers them all."""

from app.models.alerts import AccountToken, Delivery, OutboxEvent, RateLimitHit, Subscription
from app.models.audit import AuditEntry
from app.models.auth import ApiToken, RecoveryCode, SignInFailure, User, UserSession
from app.models.base import Base
from app.models.case import Case, CaseTag
from app.models.decision import (
    DECISION_PARTS,
    Decision,
    DecisionOrganisation,
    DecisionProvision,
    DecisionRegulator,
    DecisionRelation,
    DecisionReportedAmount,
    DecisionSource,
    DecisionTag,
    Finding,
)
from app.models.dedupe import DuplicateDismissal, DuplicateSuspicion, Merge
from app.models.document import DecisionDocument, DecisionListing
from app.models.evidence import Document, DocumentBlob, DocumentPage
from app.models.idempotency import IdempotencyKey
from app.models.merged import MergedRecord
from app.models.organisation import Organisation, OrganisationAlias, OrganisationFormerParent
from app.models.provenance import ImportedRow, ImportRun
from app.models.recommendation import Assessment, Recommendation, RecommendationParty
from app.models.regulator import Regulator
from app.models.review import ErrorReport, ReviewClaim

__all__ = [
    "DECISION_PARTS",
    "AccountToken",
    "ApiToken",
    "Assessment",
    "AuditEntry",
    "Base",
    "Case",
    "CaseTag",
    "Decision",
    "DecisionDocument",
    "DecisionListing",
    "DecisionOrganisation",
    "DecisionProvision",
    "DecisionRegulator",
    "DecisionRelation",
    "DecisionReportedAmount",
    "DecisionSource",
    "DecisionTag",
    "Delivery",
    "Document",
    "DocumentBlob",
    "DocumentPage",
    "DuplicateDismissal",
    "DuplicateSuspicion",
    "ErrorReport",
    "Finding",
    "IdempotencyKey",
    "ImportRun",
    "ImportedRow",
    "Merge",
    "MergedRecord",
    "Organisation",
    "OrganisationAlias",
    "OrganisationFormerParent",
    "OutboxEvent",
    "RateLimitHit",
    "Recommendation",
    "RecommendationParty",
    "RecoveryCode",
    "Regulator",
    "ReviewClaim",
    "SignInFailure",
    "Subscription",
    "User",
    "UserSession",
]

"""All models, importable from one place: `from buurt.models import Resident`."""

from buurt.models.addresses import Address
from buurt.models.areas import Area, BoundaryGeneration, Group, Neighbourhood, group_beheerders
from buurt.models.audit import AuditEntry
from buurt.models.base import UTCDateTime, utcnow
from buurt.models.forms import FormSubmission
from buurt.models.incidents import Incident, IncidentCategory, IncidentStatus
from buurt.models.locks import SeatLock
from buurt.models.meldingen import Melding, MeldingCategory, MeldingResult, MeldingTarget
from buurt.models.outbox import OutboxMessage
from buurt.models.ratelimit import RateLimitCounter
from buurt.models.residents import GroupTask, RemovalReason, Resident, ResidentStatus, TaskKind
from buurt.models.revisions import Revision
from buurt.models.users import Role, User, UserSession

__all__ = [
    "Address",
    "Area",
    "AuditEntry",
    "BoundaryGeneration",
    "FormSubmission",
    "Group",
    "GroupTask",
    "Incident",
    "IncidentCategory",
    "IncidentStatus",
    "Melding",
    "MeldingCategory",
    "MeldingResult",
    "MeldingTarget",
    "Neighbourhood",
    "OutboxMessage",
    "RateLimitCounter",
    "RemovalReason",
    "Resident",
    "ResidentStatus",
    "Revision",
    "Role",
    "SeatLock",
    "TaskKind",
    "UTCDateTime",
    "User",
    "UserSession",
    "group_beheerders",
    "utcnow",
]

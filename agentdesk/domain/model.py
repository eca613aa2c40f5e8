"""The entities of a contact centre, as plain dataclasses.

Times are timezone-aware UTC datetimes and ids are strings chosen by the caller, so every value
here can be created offline and compared in tests without a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from agentdesk.domain.hlc import Hlc


class CustomerTier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class AgentTier(StrEnum):
    JUNIOR = "junior"
    SENIOR = "senior"
    EXPERT = "expert"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 is the most urgent; used for ordering."""
        return PRIORITY_ORDER.index(self)


PRIORITY_ORDER: tuple[Priority, ...] = (
    Priority.URGENT,
    Priority.HIGH,
    Priority.NORMAL,
    Priority.LOW,
)


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"
    PHONE = "phone"
    WEB = "web"
    SOCIAL = "social"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CLOSED = "closed"


class Complexity(StrEnum):
    """How hard a ticket's intent is to handle: simple requests suit juniors, complex ones seniors."""

    SIMPLE = "simple"
    STANDARD = "standard"
    COMPLEX = "complex"


class MessageKind(StrEnum):
    CUSTOMER = "customer"
    REPLY = "reply"
    NOTE = "note"
    SYSTEM = "system"


class LinkKind(StrEnum):
    ARTICLE = "article"
    SCRIPT = "script"


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str
    email: str = ""
    phone: str = ""
    tier: CustomerTier = CustomerTier.STANDARD
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    handle: str
    name: str
    role: Role = Role.AGENT
    tier: AgentTier = AgentTier.JUNIOR
    # skill name -> level 1..5; a ticket whose intent needs a skill is eligible only for agents
    # holding it.
    skills: dict[str, int] = field(default_factory=dict)
    departments: tuple[str, ...] = ()
    capacity: int = 5
    available: bool = True
    languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True, slots=True)
class TicketLink:
    kind: LinkKind
    ref_id: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Ticket:
    id: str
    number: int
    subject: str
    customer_id: str
    department_id: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    intent: str
    created_at: datetime
    updated_at: datetime
    # The classifier's confidence in `intent` (0..1); None when a person or a rule set it.
    intent_confidence: float | None = None
    complexity: Complexity = Complexity.STANDARD
    # SLA clock targets, fixed when the ticket is created; a transfer keeps them.
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_at: datetime | None = None
    # Set while the ticket waits on the customer: the SLA clock is paused from this moment, and
    # the due times move on by the paused (business) time when it resumes.
    sla_paused_at: datetime | None = None
    assignee_id: str | None = None
    required_skill: str | None = None
    resolution: str = ""
    csat: int | None = None
    closed_at: datetime | None = None
    # The ticket this one follows up when a customer wrote after closure.
    follow_up_of: str | None = None
    links: tuple[TicketLink, ...] = ()
    version: int = 1


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    ticket_id: str
    kind: MessageKind
    body: str
    created_at: datetime
    author_id: str | None = None  # agent id, or None for customer/system


@dataclass(frozen=True, slots=True)
class KbArticle:
    id: str
    title: str
    body: str
    intent: str = ""
    tags: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class KbHit:
    article_id: str
    title: str
    snippet: str  # with [b]...[/b] around the matched words
    score: float


@dataclass(frozen=True, slots=True)
class Script:
    """A reviewed reply template: `{{placeholder}}` slots plus the resolution steps it carries."""

    id: str
    name: str
    body: str
    intent: str = ""
    steps: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # placeholders that must be filled before sending


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    priority: Priority
    first_response_minutes: int
    resolution_minutes: int


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: str
    ticket_id: str | None
    actor_id: str | None
    kind: str
    detail: dict[str, object]
    at: datetime


@dataclass(frozen=True, slots=True)
class Operation:
    """One entry of the local operation log: the outbox a sync client pushes in `seq` order."""

    op_id: str
    client_id: str
    seq: int
    at: datetime
    kind: str
    payload: dict[str, object]
    # Stamped when logged, strictly increasing per client even if the wall clock steps back.
    hlc: Hlc


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One line of a queue: a ticket with the names a list needs, read in one query."""

    id: str
    number: int
    subject: str
    status: TicketStatus
    priority: Priority
    channel: Channel
    intent: str
    customer_name: str
    customer_tier: CustomerTier
    department_id: str
    assignee_id: str | None
    created_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    first_response_at: datetime | None
    sla_paused_at: datetime | None = None

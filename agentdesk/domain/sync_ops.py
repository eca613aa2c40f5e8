"""From the local operation log to the op envelopes a sync client pushes (SYNC.md §4.3).

The log records intents as `Change.kind` plus payload (domain/actions.py, domain/intake.py). This
module names the sync kind and merge policy of each, carries the hybrid logical clock the store
stamped at logging time and attaches the claim epoch for kinds the server fences.

Customer messages a desk recorded (what the customer said on the phone, say) are pushed as
`customer_message`: the desk reports the words, and the server, the only place that runs the
customer's side of the state machine (sync_rules.SERVER_ONLY_ACTIONS), records them against its
own copy of the ticket. A follow-up the desk opened for a closed ticket is pushed as its create.

Reference data: a single edit of a script or a KB article on a workstation (`script.edit`,
`kb.edit`, carrying the whole row) is pushed, and the server applies it only for leads and
admins (an agent's edit comes back `forbidden` and waits in the conflict list). Bulk upserts
(`*.upsert`, from `agentdesk import` or the demo seed) stay local: their payloads name the row
only, one import can hold 100,000 articles, and a demo or private import must not become the
team's KB. A team publishes its KB, scripts, departments and customers on the server instead
(`agentdesk server import-kb|import-scripts`, or the HTTP API), and every desk pulls them.
Agents are accounts: only the server makes them (`POST /agents`, `agentdesk server add-agent`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from agentdesk.domain.hlc import Hlc
from agentdesk.domain.lifecycle import Action
from agentdesk.domain.model import Operation


class SyncKind(StrEnum):
    CREATE = "create"
    REPLY = "reply"
    NOTE = "note"
    TRANSITION = "transition"
    SET_FIELD = "set_field"
    TRANSFER = "transfer"
    ASSIGN = "assign"
    LINK_ADD = "link_add"
    SCRIPT_UPSERT = "script_upsert"
    ARTICLE_UPSERT = "article_upsert"
    CUSTOMER_MESSAGE = "customer_message"


@dataclass(frozen=True, slots=True)
class KindRule:
    kind: SyncKind
    # The state-machine action the server validates, for kinds that may change the status.
    action: Action | None = None
    # Ownership-sensitive: the server checks `claim_epoch` against the current claim.
    fenced: bool = False


# Local log kind -> how it syncs. A reply's status effect (ask the customer, or open a new
# ticket) depends on its payload, so the server derives that action from `wait_on_customer`.
KIND_RULES: Mapping[str, KindRule] = {
    "ticket.create": KindRule(SyncKind.CREATE),
    "ticket.reply": KindRule(SyncKind.REPLY, Action.AGENT_REPLY, fenced=True),
    "ticket.note": KindRule(SyncKind.NOTE),
    "ticket.assign": KindRule(SyncKind.ASSIGN, Action.ASSIGN),
    "ticket.transfer": KindRule(SyncKind.TRANSFER, Action.TRANSFER, fenced=True),
    "ticket.request_confirmation": KindRule(
        SyncKind.TRANSITION, Action.REQUEST_CONFIRMATION, fenced=True
    ),
    "ticket.close": KindRule(SyncKind.TRANSITION, Action.CONFIRM_CLOSE, fenced=True),
    "ticket.csat": KindRule(SyncKind.SET_FIELD),
    "ticket.priority": KindRule(SyncKind.SET_FIELD),
    "ticket.reclassify": KindRule(SyncKind.SET_FIELD),
    "ticket.link": KindRule(SyncKind.LINK_ADD),
    "script.edit": KindRule(SyncKind.SCRIPT_UPSERT),
    "kb.edit": KindRule(SyncKind.ARTICLE_UPSERT),
    # What the customer told this desk; the server records it as the customer's and runs the
    # customer's side of the state machine on its own copy (server/customer_words.py).
    "ticket.customer_reply": KindRule(SyncKind.CUSTOMER_MESSAGE),
    "ticket.customer_confirmed": KindRule(SyncKind.CUSTOMER_MESSAGE),
    # Words for a ticket the desk saw closed opened a follow-up here: it travels as a create.
    "ticket.follow_up": KindRule(SyncKind.CREATE),
}

# Logged locally, never pushed (see the module docstring: bulk reference upserts are published
# on the server, not from a desk).
LOCAL_ONLY_KINDS: frozenset[str] = frozenset(
    {
        "agent.upsert",
        "customer.upsert",
        "department.upsert",
        "kb.upsert",
        "script.upsert",
        # Case reviews and skill certification (domain/reviews.py) are not ops the server
        # replays; a synced desk sends a new level straight to PATCH /agents/{handle}
        # (store/remote.py), which claim-next routes by.
        "review.record",
        "agent.skill_level",
    }
)


class UnknownOperation(ValueError):
    """A log kind this module has no rule for: a new action needs a sync rule before it ships."""


@dataclass(frozen=True, slots=True)
class OpEnvelope:
    op_id: str
    client_id: str
    client_seq: int
    hlc: Hlc
    site_id: str
    kind: SyncKind
    ticket_id: str | None
    base_version: int | None
    claim_epoch: int | None
    payload: Mapping[str, object]
    action: Action | None = None
    batch_id: str | None = None

    def to_wire(self) -> dict[str, object]:
        """JSON-ready; the HLC travels as its sortable string so no client loses 64-bit ints."""
        return {
            "op_id": self.op_id,
            "client_id": self.client_id,
            "client_seq": self.client_seq,
            "hlc": self.hlc.to_str(),
            "site_id": self.site_id,
            "kind": self.kind.value,
            "ticket_id": self.ticket_id,
            "base_version": self.base_version,
            "claim_epoch": self.claim_epoch,
            "action": self.action.value if self.action else None,
            "batch_id": self.batch_id,
            "payload": dict(self.payload),
        }

    @classmethod
    def from_wire(cls, raw: Mapping[str, object]) -> OpEnvelope:
        """Parse an envelope; ValueError names the first bad field."""
        action = raw.get("action")
        payload = raw.get("payload")
        if not isinstance(payload, dict):
            raise ValueError("op envelope: 'payload' must be an object")
        return cls(
            op_id=_text(raw, "op_id"),
            client_id=_text(raw, "client_id"),
            client_seq=_whole(raw, "client_seq"),
            hlc=Hlc.from_str(_text(raw, "hlc")),
            site_id=_text(raw, "site_id"),
            kind=SyncKind(_text(raw, "kind")),
            ticket_id=_optional_text(raw, "ticket_id"),
            base_version=_optional_whole(raw, "base_version"),
            claim_epoch=_optional_whole(raw, "claim_epoch"),
            action=Action(action) if isinstance(action, str) else None,
            batch_id=_optional_text(raw, "batch_id"),
            payload=payload,
        )


def _text(raw: Mapping[str, object], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"op envelope: {key!r} must be a non-empty string")
    return value


def _optional_text(raw: Mapping[str, object], key: str) -> str | None:
    return None if raw.get(key) is None else _text(raw, key)


def _whole(raw: Mapping[str, object], key: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"op envelope: {key!r} must be a whole number")
    return value


def _optional_whole(raw: Mapping[str, object], key: str) -> int | None:
    return None if raw.get(key) is None else _whole(raw, key)


def _optional_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def envelope_for(op: Operation, site_id: str, claim_epochs: Mapping[str, int]) -> OpEnvelope | None:
    """The envelope for one logged op, or None for a kind that is never pushed."""
    if op.kind in LOCAL_ONLY_KINDS:
        return None
    rule = KIND_RULES.get(op.kind)
    if rule is None:
        raise UnknownOperation(f"no sync rule for operation kind {op.kind!r} (seq {op.seq})")
    ticket_id = op.payload.get("ticket_id")
    ticket = ticket_id if isinstance(ticket_id, str) else None
    action = rule.action
    if rule.kind is SyncKind.REPLY and op.payload.get("wait_on_customer"):
        action = Action.ASK_CUSTOMER
    return OpEnvelope(
        op_id=op.op_id,
        client_id=op.client_id,
        client_seq=op.seq,
        hlc=op.hlc,
        site_id=site_id,
        kind=rule.kind,
        ticket_id=ticket,
        base_version=_optional_int(op.payload.get("base_version")),
        claim_epoch=claim_epochs.get(ticket) if rule.fenced and ticket else None,
        payload=dict(op.payload),
        action=action,
    )


def envelopes(
    ops: Iterable[Operation], site_id: str, claim_epochs: Mapping[str, int] | None = None
) -> list[OpEnvelope]:
    """Envelopes for `ops` in log order, skipping local-only kinds.

    Each carries the HLC the store stamped when it logged the op, so a push retried after a
    restart sends exactly the stamps it sent before.
    """
    epochs = claim_epochs or {}
    found = (envelope_for(op, site_id, epochs) for op in sorted(ops, key=lambda op: op.seq))
    return [envelope for envelope in found if envelope is not None]

"""The server's rule documents, pulled by sync, in force on a desk instead of its config's.

The server keeps the routing table and the transfer rules as documents in the config file's
shape (`[routing]`, `[transfer]`). Each one a desk has pulled replaces that part of its config
once the same readers as the config file accept it (`config_routing`, `config_transfer`): a
document they refuse is reported with its key, and the rules the desk runs by stay as they
were. Without a server, or before the first document arrives, the config file's rules stand.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from agentdesk.config import ConfigError
from agentdesk.config_routing import parse_routing
from agentdesk.config_transfer import check_departments, transfer_rules
from agentdesk.domain.reference_sync import RuleDocument
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.domain.transfers import TransferRule
from agentdesk.store.base import Store

ROUTING = "routing"
TRANSFER = "transfer"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerRules:
    """What the documents say: None where there is no usable document (keep what runs)."""

    routing: RoutingPolicy | None = None
    transfer: tuple[TransferRule, ...] | None = None
    problems: tuple[str, ...] = ()


def read_documents(documents: Sequence[RuleDocument], departments: Collection[str]) -> ServerRules:
    """Read each document as its config table; problems name the document, version and key."""
    routing: RoutingPolicy | None = None
    transfer: tuple[TransferRule, ...] | None = None
    problems: list[str] = []
    for rules in documents:
        where = f"the server's {rules.name} rules (version {rules.version})"
        try:
            if rules.name == ROUTING:
                routing = parse_routing(dict(rules.document))
            elif rules.name == TRANSFER:
                kept, unknown = check_departments(transfer_rules(dict(rules.document)), departments)
                transfer = kept
                problems += [f"{where}: {problem}" for problem in unknown]
            else:
                problems.append(f"{where}: not a rule set this desk knows; ignored")
        except ConfigError as error:
            problems.append(f"{where}: {error}; the rules in force stay")
    return ServerRules(routing, transfer, tuple(problems))


@dataclass
class RulesAdopter:
    """Puts pulled documents in force on a store; each problem is reported once."""

    reported: set[str] = field(default_factory=set)

    async def adopt(self, store: Store) -> list[str]:
        """Apply the store's pulled documents; returns the problems not reported before."""
        documents = await store.pulled_rules()
        if not documents:
            return []
        departments = {department.id for department in await store.departments()}
        found = read_documents(documents, departments)
        if found.routing is not None:
            store.routing_policy = found.routing
        if found.transfer is not None:
            store.transfer_rules = found.transfer
        new = [problem for problem in found.problems if problem not in self.reported]
        self.reported.update(new)
        for problem in new:
            log.error("%s", problem)
        return new

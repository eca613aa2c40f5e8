"""A plausible contact centre to try agentdesk on: `agentdesk demo`.

Ticket texts and reply scripts come from the Bitext sample, KB articles and guideline scripts
from ABCD (both shipped in `agentdesk/demo_data/`, see its README for licences); agents and
customers are generated. Everything is deterministic for a given `seed` and `now`, and times
are relative to `now`, so SLA timers show every state when the demo opens.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from importlib.resources import files

from agentdesk.config_routing import default_policy, default_routes
from agentdesk.domain import routing
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.intake import Arrival
from agentdesk.domain.model import (
    PRIORITY_ORDER,
    Agent,
    AgentTier,
    Channel,
    Customer,
    CustomerTier,
    Department,
    KbArticle,
    LinkKind,
    Priority,
    Role,
    Script,
    Ticket,
    TicketLink,
)
from agentdesk.domain.routing import IntentRoute
from agentdesk.domain.scripts import render, ticket_values
from agentdesk.intake import receive
from agentdesk.store.base import Store
from agentdesk.transfer import Format, Kind, parse_articles, parse_scripts, read_records

DEPARTMENTS = (
    Department("general", "General"),
    Department("billing", "Billing"),
    Department("technical", "Technical"),
    Department("logistics", "Logistics"),
    # Unsure or out-of-scope arrivals wait here for a person to route them (the lead covers
    # every department).
    Department("triage", "Triage"),
)

SKILLS = ("orders", "accounts", "refunds", "billing", "delivery", "complaints", "feedback")


_N = Priority.NORMAL

# Bitext intent -> where its tickets go, which skill they need, how hard and how urgent they
# usually are: the routing table agentdesk ships (`agentdesk/routing.toml`).
demo_mappings: Mapping[str, IntentRoute] = default_routes()
# Money and anger: these are escalated more often than their default says.
ESCALATING_INTENTS = frozenset({"complaint", "payment_issue"})


def _agent(
    handle: str,
    name: str,
    tier: AgentTier,
    skills: dict[str, int],
    departments: tuple[str, ...],
    *,
    role: Role = Role.AGENT,
    capacity: int = 5,
    available: bool = True,
    languages: tuple[str, ...] = ("en",),
) -> Agent:
    return Agent(
        id=f"demo-ag-{handle}",
        handle=handle,
        name=name,
        role=role,
        tier=tier,
        skills=skills,
        departments=departments,
        capacity=capacity,
        available=available,
        languages=languages,
    )


AGENTS = (
    _agent(
        "junior",
        "Jamie Rivera",
        AgentTier.JUNIOR,
        {"orders": 2, "delivery": 2, "accounts": 1, "feedback": 2},
        ("general", "logistics"),
        capacity=6,
        languages=("en", "es"),
    ),
    _agent(
        "senior",
        "Sam Okafor",
        AgentTier.SENIOR,
        {"orders": 4, "refunds": 4, "billing": 3, "complaints": 4, "delivery": 3, "feedback": 3},
        ("general", "billing", "logistics"),
        capacity=6,
    ),
    _agent(
        "lead",
        "Lee Moreau",
        AgentTier.EXPERT,
        dict.fromkeys(SKILLS, 5),
        (),
        role=Role.LEAD,
        capacity=3,
        # The lead covers the languages nobody else on shift speaks.
        languages=("en", "fr", "de", "es", "pt"),
    ),
    _agent(
        "amara",
        "Amara Nwosu",
        AgentTier.SENIOR,
        {"billing": 5, "refunds": 4, "complaints": 3},
        ("billing",),
    ),
    _agent("ben", "Ben Hartley", AgentTier.JUNIOR, {"billing": 2, "refunds": 1}, ("billing",)),
    _agent(
        "chen",
        "Chen Wei",
        AgentTier.SENIOR,
        {"accounts": 5, "orders": 2},
        ("technical",),
        languages=("en", "zh"),
    ),
    _agent("dana", "Dana Kowalski", AgentTier.JUNIOR, {"accounts": 2}, ("technical",)),
    _agent(
        "elif",
        "Elif Demir",
        AgentTier.SENIOR,
        {"delivery": 5, "orders": 4},
        ("logistics",),
        languages=("en", "de", "tr"),
    ),
    _agent(
        "farah",
        "Farah Haddad",
        AgentTier.EXPERT,
        {"complaints": 5, "feedback": 5, "orders": 3},
        ("general",),
        languages=("en", "fr", "ar"),
    ),
    _agent(
        "gus",
        "Gustavo Lima",
        AgentTier.JUNIOR,
        {"orders": 2, "delivery": 2},
        ("general", "logistics"),
        available=False,  # on a break: shows an unavailable agent in team views
        languages=("en", "es", "pt"),
    ),
)

# Generated customers: mostly English speakers, a few others.
_NAMES: dict[str, tuple[str, str]] = {  # language -> (first names, last names)
    "en": (
        "Olivia Liam Emma Noah Ava Oliver Sophia Elijah Mia James Harper Lucas Amelia Mason "
        "Ella Ethan Grace Logan Chloe Aiden Zoe Jack Nora Owen Ruby Leo Hazel Isaac Priya "
        "Kwame Aisha Tom Maya Daniel Fiona Ravi",
        "Smith Johnson Brown Taylor Wilson Davies Evans Thomas Roberts Walker Wright Thompson "
        "White Hughes Edwards Green Hall Wood Harris Clarke Patel Mensah Campbell Murphy "
        "O'Brien Baker Kelly Nguyen Foster Bennett",
    ),
    "es": (
        "Lucía Mateo Sofía Hugo Valentina Diego Carmen",
        "García Fernández López Martínez Sánchez Romero",
    ),
    "de": ("Lena Jonas Hannah Felix Mia Paul", "Müller Schmidt Schneider Fischer Weber Becker"),
    "fr": (
        "Camille Louis Chloé Gabriel Manon Jules",
        "Martin Bernard Dubois Lefèvre Moreau Laurent",
    ),
    "pt": ("Beatriz João Ana Pedro Inês", "Silva Santos Ferreira Oliveira Costa"),
}
_LANGUAGE_WEIGHTS = {"en": 90, "es": 3, "de": 3, "fr": 2, "pt": 2}
_CHANNEL_WEIGHTS = {
    Channel.EMAIL: 35,
    Channel.CHAT: 25,
    Channel.WEB: 15,
    Channel.PHONE: 15,
    Channel.SOCIAL: 10,
}
VIP_SHARE = 0.08
SUBJECT_LIMIT = 60


@dataclass(frozen=True, slots=True)
class DemoRequest:
    """One customer request from the shipped sample."""

    id: str
    text: str
    intent: str


@dataclass(frozen=True, slots=True)
class DemoSeeded:
    departments: int
    agents: int
    customers: int
    tickets: int
    articles: int
    scripts: int


# -- the shipped data --------------------------------------------------------------------------
def _data(*parts: str) -> bytes:
    return files("agentdesk").joinpath("demo_data", *parts).read_bytes()


def load_requests() -> list[DemoRequest]:
    lines = _data("bitext", "requests.jsonl").decode("utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [
        DemoRequest(row["id"], row["text"], row["intent"])
        for row in rows
        if row["intent"] in demo_mappings
    ]


def load_articles(now: datetime) -> list[KbArticle]:
    records = read_records(_data("abcd", "articles.jsonl"), Format.JSONL, Kind.KB)
    return parse_articles(records, now=now)


def load_scripts() -> list[Script]:
    scripts: list[Script] = []
    for source in ("bitext", "abcd"):
        records = read_records(_data(source, "scripts.jsonl"), Format.JSONL, Kind.SCRIPTS)
        scripts.extend(parse_scripts(records))
    return scripts


# -- generated records -------------------------------------------------------------------------
def _demo_id(rng: random.Random, at: datetime) -> str:
    """A UUIDv7 (time-ordered, like `new_id`) whose random bits come from the seeded rng."""
    millis = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64)
    value |= (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def _ascii(text: str) -> str:
    table = str.maketrans("áéíóúüöäçèñãêô'", "aeiouuoaceanaeo", "")
    return text.lower().translate(table).replace("'", "")


def make_customers(rng: random.Random, count: int) -> list[Customer]:
    languages = list(_LANGUAGE_WEIGHTS)
    weights = list(_LANGUAGE_WEIGHTS.values())
    customers: list[Customer] = []
    for index in range(1, count + 1):
        language = rng.choices(languages, weights)[0]
        first_names, last_names = _NAMES[language]
        first, last = rng.choice(first_names.split()), rng.choice(last_names.split())
        email = f"{_ascii(first)}.{_ascii(last)}{index}@example.com"
        phone = f"+1 555 01{rng.randrange(100):02d}" if rng.random() < 0.6 else ""
        tier = CustomerTier.VIP if rng.random() < VIP_SHARE else CustomerTier.STANDARD
        customers.append(
            Customer(f"demo-cu-{index:04d}", f"{first} {last}", email, phone, tier, language)
        )
    return customers


def _subject(text: str) -> str:
    text = " ".join(text.split()).rstrip("?!. ")
    text = text[:1].upper() + text[1:]
    if len(text) <= SUBJECT_LIMIT:
        return text
    cut = text[:SUBJECT_LIMIT].rsplit(" ", 1)[0]
    return f"{cut}…"


def _body(text: str, channel: Channel, customer: Customer) -> str:
    if channel in (Channel.EMAIL, Channel.WEB):
        first = customer.name.split()[0]
        return f"Hello,\n\n{text}\n\nThanks,\n{first}"
    return text


def _priority(rng: random.Random, intent: str, customer: Customer) -> Priority:
    base = demo_mappings[intent].priority
    roll = rng.random()
    if intent in ESCALATING_INTENTS:
        priority = Priority.URGENT if roll < 0.35 else Priority.HIGH if roll < 0.85 else _N
    elif roll < 0.1:
        priority = PRIORITY_ORDER[max(base.rank - 1, 0)]
    elif roll < 0.25:
        priority = PRIORITY_ORDER[min(base.rank + 1, len(PRIORITY_ORDER) - 1)]
    else:
        priority = base
    if customer.tier is CustomerTier.VIP:
        priority = PRIORITY_ORDER[max(priority.rank - 1, 0)]
    return priority


# Urgent and high tickets mostly arrived within their first-response window: a team works
# those first, so few of them are left over from yesterday.
_FRESH = {Priority.URGENT: (0.7, 40.0), Priority.HIGH: (0.6, 80.0)}


def _age(rng: random.Random, priority: Priority) -> timedelta:
    """Most tickets are recent (live SLA clocks), the rest spread over two days."""
    share, window = _FRESH.get(priority, (0.0, 0.0))
    roll = rng.random()
    if rng.random() < share:
        minutes = rng.uniform(1, window)
    elif roll < 0.55:
        minutes = rng.uniform(2, 4 * 60)
    elif roll < 0.85:
        minutes = rng.uniform(4 * 60, 24 * 60)
    else:
        minutes = rng.uniform(24 * 60, 48 * 60)
    return timedelta(minutes=round(minutes, 2))


def make_tickets(
    rng: random.Random,
    requests: Sequence[DemoRequest],
    customers: Sequence[Customer],
    count: int,
    now: datetime,
) -> list[NewTicket]:
    chosen = (
        rng.sample(list(requests), count)
        if count <= len(requests)
        else [rng.choice(requests) for _ in range(count)]
    )
    channels, channel_weights = list(_CHANNEL_WEIGHTS), list(_CHANNEL_WEIGHTS.values())
    # One customer in ten writes often, so the customer history panel has something to show.
    customer_weights = [3.0 if index % 10 == 0 else 1.0 for index in range(len(customers))]
    tickets: list[NewTicket] = []
    for request in chosen:
        customer = rng.choices(customers, customer_weights)[0]
        channel = rng.choices(channels, channel_weights)[0]
        priority = _priority(rng, request.intent, customer)
        created = now - _age(rng, priority)
        tickets.append(
            NewTicket(
                subject=_subject(request.text),
                body=_body(request.text, channel, customer),
                customer_id=customer.id,
                priority=priority,
                channel=channel,
                intent=request.intent,
                created_at=created,
                id=_demo_id(rng, created),
                message_id=_demo_id(rng, created),
            )
        )
    # Numbers follow arrival order, as they would in a real queue.
    tickets.sort(key=lambda t: (t.created_at, t.id or ""))
    return tickets


# -- seeding -----------------------------------------------------------------------------------
async def seed_demo(
    store: Store, *, now: datetime, tickets: int = 400, seed: int = 7
) -> DemoSeeded:
    """Fill an empty store with the demo contact centre, `tickets` tickets strong."""
    rng = random.Random(seed)
    requests = load_requests()
    articles = load_articles(now)
    scripts = load_scripts()
    customers = make_customers(rng, max(12, tickets // 3))
    await store.add_departments(DEPARTMENTS)
    await store.add_agents(AGENTS)
    await store.add_customers(customers)
    await store.add_articles(articles)
    await store.add_scripts(scripts)
    # Intake routes them by their known intents; the demo's own priorities stand.
    arrivals = [
        Arrival(new, priority_given=True)
        for new in make_tickets(rng, requests, customers, tickets, now)
    ]
    created = await receive(store, arrivals, now=now, policy=default_policy(), rules=())
    work = _Work(store, rng, now, {c.id: c for c in customers}, scripts)
    await work.play(created)
    return DemoSeeded(
        departments=len(DEPARTMENTS),
        agents=len(AGENTS),
        customers=len(customers),
        tickets=len(created) + work.follow_ups,
        articles=len(articles),
        scripts=len(scripts),
    )


# -- the day's work so far: store actions that spread tickets over every state ----------------
class Step(StrEnum):
    ASSIGNED = "assigned"  # picked up, not answered yet
    REPLIED = "replied"  # answered, still open
    CUSTOMER_REPLIED = "customer_replied"  # answered, customer wrote back
    PENDING = "pending"  # waiting on the customer
    AWAITING = "awaiting"  # resolution proposed, waiting for the customer's confirmation
    CLOSED = "closed"


# What the demo agents are working on; the rest of the roster gets a little of everything.
PLANS: dict[str, tuple[Step, ...]] = {
    "junior": (
        Step.ASSIGNED,
        Step.REPLIED,
        Step.CUSTOMER_REPLIED,
        Step.PENDING,
        Step.AWAITING,
        Step.CLOSED,
        Step.CLOSED,
    ),
    "senior": (
        Step.ASSIGNED,
        Step.ASSIGNED,
        Step.REPLIED,
        Step.CUSTOMER_REPLIED,
        Step.PENDING,
        Step.PENDING,
        Step.AWAITING,
        Step.CLOSED,
        Step.CLOSED,
        Step.CLOSED,
    ),
    "lead": (Step.REPLIED, Step.CLOSED),
    "amara": (Step.ASSIGNED, Step.REPLIED, Step.AWAITING),
    "ben": (Step.ASSIGNED, Step.PENDING),
    "chen": (Step.REPLIED, Step.CUSTOMER_REPLIED, Step.AWAITING),
    "dana": (Step.ASSIGNED, Step.REPLIED),
    "elif": (Step.REPLIED, Step.PENDING, Step.AWAITING),
    "farah": (Step.CUSTOMER_REPLIED, Step.REPLIED),
    "gus": (Step.PENDING,),
}
# Of the tickets older than this, a share was already solved by someone on the team.
SOLVED_AGE = timedelta(hours=12)
SOLVED_SHARE = 0.7
MIN_AGE = {  # a ticket must be this old for its story to have happened
    Step.ASSIGNED: timedelta(minutes=1),
    Step.REPLIED: timedelta(minutes=10),
    Step.CUSTOMER_REPLIED: timedelta(minutes=40),
    Step.PENDING: timedelta(minutes=30),
    Step.AWAITING: timedelta(hours=2),
    Step.CLOSED: timedelta(hours=6),
}
CUSTOMER_FOLLOW_UPS = (
    "Thanks for the quick answer. I tried that, but it still does not work for me.",
    "Thank you! One more question: will this affect my other orders?",
    "I did what you said and now I get an error message. Can you check again?",
    "Any news on this? I am still waiting.",
)
CUSTOMER_INFO = (
    "Here you go: the order number is {n} and my account e-mail is the one I am writing from.",
    "Sure, it is order {n}. I placed it last week.",
)
NOTES = (
    "Checked the account: no open payment holds.",
    "Customer already wrote about this last month, see history.",
    "Asked logistics for the carrier's scan events.",
)


class _Work:
    def __init__(
        self,
        store: Store,
        rng: random.Random,
        now: datetime,
        customers: dict[str, Customer],
        scripts: Sequence[Script],
    ) -> None:
        self.store = store
        self.rng = rng
        self.now = now
        self.customers = customers
        self.scripts: dict[str, Script] = {}
        for script in scripts:  # the short bitext answer suits a first reply best
            if script.intent not in self.scripts or script.name.endswith("short answer"):
                self.scripts[script.intent] = script
        self.follow_ups = 0
        self.used: set[str] = set()

    async def play(self, tickets: list[Ticket]) -> None:
        pool = list(tickets)
        self.rng.shuffle(pool)
        agents = {agent.handle: agent for agent in AGENTS}
        for handle, plan in PLANS.items():
            agent = agents[handle]
            for step in plan:
                ticket = self._take(pool, agent, MIN_AGE[step])
                if ticket is not None:
                    await self._drive(ticket, agent, step)
        await self._transfers(pool, agents["lead"])
        for ticket in pool:
            if ticket.id in self.used or self.now - ticket.created_at < SOLVED_AGE:
                continue
            if self.rng.random() >= SOLVED_SHARE:
                continue
            eligible = [a for a in AGENTS if self._fits(ticket, a)]
            if eligible:
                self.used.add(ticket.id)
                await self._drive(ticket, self.rng.choice(eligible), Step.CLOSED)

    def _take(self, pool: list[Ticket], agent: Agent, min_age: timedelta) -> Ticket | None:
        """The first ticket of the pool that suits the agent best (as routing would see it)."""
        fitting = [
            ticket
            for ticket in pool
            if ticket.id not in self.used
            and self.now - ticket.created_at >= min_age
            and self._fits(ticket, agent)
        ]
        if not fitting:
            return None
        policy = default_policy()
        chosen = min(
            fitting,
            key=lambda t: routing.fit_gap(agent, t.required_skill, t.complexity, policy),
        )
        self.used.add(chosen.id)
        return chosen

    def _fits(self, ticket: Ticket, agent: Agent) -> bool:
        customer = self.customers.get(ticket.customer_id)
        return routing.is_eligible(ticket, agent, default_policy(), customer)

    def _times(self, ticket: Ticket, count: int) -> list[datetime]:
        """`count` moments between the ticket's arrival and now, in order."""
        span = self.now - ticket.created_at
        cuts = sorted(self.rng.uniform(0.05, 0.95) for _ in range(count))
        return [ticket.created_at + span * cut for cut in cuts]

    async def _drive(self, ticket: Ticket, agent: Agent, step: Step) -> None:
        store, rng = self.store, self.rng
        customer = self.customers[ticket.customer_id]
        first = customer.name.split()[0]
        steps = {
            Step.ASSIGNED: 1,
            Step.REPLIED: 2,
            Step.PENDING: 2,
            Step.CUSTOMER_REPLIED: 3,
            Step.AWAITING: 3,
            Step.CLOSED: 4,
        }[step]
        at = iter(self._times(ticket, steps))
        await store.assign(ticket.id, agent.id, actor_id=agent.id, now=next(at))
        if step == Step.ASSIGNED:
            return
        if step == Step.PENDING:
            ask = (
                f"Hi {first},\n\nThanks for getting in touch. Could you send me your order "
                f"number, so I can look into this?\n\nBest regards,\n{agent.name}"
            )
            await store.reply(
                ticket.id, ask, author_id=agent.id, now=next(at), wait_on_customer=True
            )
            return
        await store.reply(
            ticket.id, self._first_reply(ticket, customer, agent), author_id=agent.id, now=next(at)
        )
        if step == Step.REPLIED:
            if rng.random() < 0.3:
                note = rng.choice(NOTES)
                await store.reply(
                    ticket.id,
                    note,
                    author_id=agent.id,
                    now=self.now - timedelta(seconds=30),
                    internal=True,
                )
            return
        if step == Step.CUSTOMER_REPLIED:
            await store.customer_reply(ticket.id, rng.choice(CUSTOMER_FOLLOW_UPS), now=next(at))
            return
        script = self.scripts.get(ticket.intent)
        links = (TicketLink(LinkKind.SCRIPT, script.id, script.name),) if script else ()
        resolution = f"Walked the customer through {ticket.intent.replace('_', ' ')}."
        request = (
            f"Hi {first},\n\nThis should now be sorted: {resolution[0].lower()}{resolution[1:]} "
            f"Could you confirm that everything works for you?\n\nBest regards,\n{agent.name}"
        )
        await store.request_confirmation(
            ticket.id, resolution, request, actor_id=agent.id, now=next(at), links=links
        )
        if step == Step.AWAITING:
            return
        closed_at = next(at)
        if rng.random() < 0.5:
            await store.customer_reply(
                ticket.id, "Yes, that worked. Thank you!", now=closed_at, confirms_resolution=True
            )
        else:
            await store.close_confirmed(
                ticket.id,
                resolution,
                "Customer confirmed on the phone",
                actor_id=agent.id,
                now=closed_at,
                csat=rng.choice((3, 4, 4, 5, 5, 5)),
            )
        if agent.handle == "senior" and not self.follow_ups:
            # A customer writing again after closure starts a linked follow-up ticket.
            later = closed_at + (self.now - closed_at) / 2
            await store.customer_reply(
                ticket.id, "Sorry, the problem is back since this morning.", now=later
            )
            self.follow_ups += 1

    def _first_reply(self, ticket: Ticket, customer: Customer, agent: Agent) -> str:
        script = self.scripts.get(ticket.intent)
        values = ticket_values(
            customer_name=customer.name,
            ticket_number=ticket.number,
            agent_name=agent.name,
            subject=ticket.subject,
            order_number=str(self.rng.randrange(10**7, 10**8)),
            account_type="Pro",
        )
        if script is not None:
            rendered = render(script, values)
            if not rendered.unfilled:
                return rendered.text
        first = customer.name.split()[0]
        return (
            f"Hi {first},\n\nThanks for reaching out. I am looking into this now and will get "
            f"back to you shortly.\n\nBest regards,\n{agent.name}"
        )

    async def _transfers(self, pool: list[Ticket], lead: Agent) -> None:
        """Two tickets that landed in the wrong queue, moved by the lead."""
        moved = 0
        for ticket in pool:
            if moved == 2:
                return
            if ticket.id in self.used or ticket.department_id != "general":
                continue
            self.used.add(ticket.id)
            (at,) = self._times(ticket, 1)
            await self.store.transfer(
                ticket.id,
                "billing",
                "Customer mentions a charge on the card; billing should look first.",
                actor_id=lead.id,
                now=at,
            )
            moved += 1

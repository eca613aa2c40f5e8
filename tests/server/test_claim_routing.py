"""claim-next and reservations route by skill level, tier, language and VIP, as domain.routing
does, on SQLite and PostgreSQL; agents' routing profiles are set by admins (and leads' levels)."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, select

from agentdesk.cli import main
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import AgentTier, Complexity, Priority, Role
from agentdesk.domain.routing import DEFAULT_POLICY, Eligibility
from agentdesk.server import claims
from agentdesk.server import tables as t
from agentdesk.server.accounts import Account, Profile, account_of, add_agent
from agentdesk.server.database import alembic_config, create_server_engine
from agentdesk.server.tickets import create_ticket
from tests.server.conftest import Server, sqlite_url, throwaway_database
from tests.server.test_concurrency import THREADS, run_threads
from tests.server.test_push_kinds import result, set_field
from tests.server.test_reservations import claim_next, reserve

JUNIOR = Profile(AgentTier.JUNIOR, {"faq": 2, "complaints": 2}, ("en",))
SENIOR = Profile(AgentTier.SENIOR, {"faq": 3, "complaints": 4}, ("en", "fr"))


def agent(server: Server, handle: str, profile: Profile, role: Role = Role.AGENT) -> dict[str, str]:
    with server.engine.begin() as connection:
        _account, token = add_agent(connection, handle, role=role, profile=profile)
    return {"Authorization": f"Bearer {token}"}


def ticket(server: Server, headers: dict[str, str], **fields: object) -> str:
    return str(server.new_ticket(headers, **fields)["id"])


def complaint(server: Server, headers: dict[str, str], **fields: object) -> str:
    return ticket(
        server,
        headers,
        **{
            "intent": "complaint",
            "required_skill": "complaints",
            "complexity": "complex",
            **fields,
        },
    )


def faq(server: Server, headers: dict[str, str], **fields: object) -> str:
    return ticket(
        server,
        headers,
        **{"intent": "faq", "required_skill": "faq", "complexity": "simple", **fields},
    )


def customer(server: Server, key: str, **fields: object) -> None:
    admin = agent(server, f"admin-{key}", Profile(), Role.ADMIN)
    response = server.client.put(f"/customers/{key}", json={"name": key, **fields}, headers=admin)
    assert response.status_code == 200, response.text


def test_a_junior_does_not_get_a_complex_complaint(server: Server) -> None:
    junior, senior = agent(server, "jo", JUNIOR), agent(server, "sam", SENIOR)
    # The complaint is the more urgent: claim-next alone would hand it to whoever asks first.
    hard = complaint(server, junior, priority=Priority.URGENT.value)
    simple = faq(server, junior)
    assert claim_next(server, junior) == simple
    assert claim_next(server, junior) is None
    assert claim_next(server, senior) == hard


def test_claims_follow_queue_order_across_kinds_of_work(server: Server) -> None:
    senior = agent(server, "sam", SENIOR)
    low_faq = faq(server, senior, priority=Priority.LOW.value)
    server.clock.advance(timedelta(minutes=1))
    plain = ticket(server, senior)
    server.clock.advance(timedelta(minutes=1))
    high_complaint = complaint(server, senior, priority=Priority.HIGH.value)
    normal_complaint = complaint(server, senior)
    pulled = [claim_next(server, senior) for _ in range(5)]
    assert pulled == [high_complaint, plain, normal_complaint, low_faq, None]


def test_a_skill_missing_or_below_the_needed_level_is_not_served(server: Server) -> None:
    novice = agent(server, "nia", Profile(AgentTier.SENIOR, {"complaints": 2}))
    complaint(server, novice)  # complex: needs level 3
    billing = ticket(server, novice, required_skill="billing", complexity="simple")
    plain = ticket(server, novice, priority=Priority.LOW.value)  # needs no skill
    assert claim_next(server, novice) == plain
    assert claim_next(server, novice) is None
    assert billing


def test_a_vip_goes_first_and_only_to_a_senior(server: Server) -> None:
    junior, senior = agent(server, "jo", JUNIOR), agent(server, "sam", SENIOR)
    customer(server, "vera", tier="vip")
    standard = faq(server, junior)  # older: the nearer deadline
    server.clock.advance(timedelta(minutes=10))
    vip, second_vip = (
        faq(server, junior, customer_id="vera"),
        faq(server, junior, customer_id="vera"),
    )
    assert claim_next(server, senior) == vip
    assert claim_next(server, junior) == standard
    assert claim_next(server, junior) is None
    assert claim_next(server, senior) == second_vip


def test_a_customer_made_vip_while_queued_is_routed_as_one(server: Server) -> None:
    junior, senior = agent(server, "jo", JUNIOR), agent(server, "sam", SENIOR)
    first = faq(server, junior)
    server.clock.advance(timedelta(minutes=10))
    later = faq(server, junior, customer_id="vera")
    customer(server, "vera", tier="vip")
    assert claim_next(server, senior) == later
    assert claim_next(server, junior) == first


def test_the_customers_language_must_be_spoken(server: Server) -> None:
    junior, senior = agent(server, "jo", JUNIOR), agent(server, "sam", SENIOR)
    customer(server, "fleur", language="fr")
    french = faq(server, junior, customer_id="fleur")
    assert claim_next(server, junior) is None
    assert claim_next(server, senior) == french


def test_a_lapsed_claim_goes_only_to_an_agent_who_may_take_it(server: Server) -> None:
    junior, senior = agent(server, "jo", JUNIOR), agent(server, "sam", SENIOR)
    hard = complaint(server, junior)
    assert claim_next(server, senior) == hard
    server.clock.advance(claims.DEFAULT_LEASE + timedelta(seconds=1))
    assert claim_next(server, junior) is None
    assert claim_next(server, senior) == hard


def test_reservations_hold_only_what_the_agent_may_take(server: Server) -> None:
    junior, senior = agent(server, "jo", JUNIOR), agent(server, "sam", SENIOR)
    hard = complaint(server, junior, priority=Priority.URGENT.value)
    simple = faq(server, junior)
    assert [h["ticket_id"] for h in reserve(server, junior, 5)] == [simple]
    assert [h["ticket_id"] for h in reserve(server, senior, 5)] == [hard]


def set_agent(server: Server, handle: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return server.client.patch(f"/agents/{handle}", json=body, headers=headers)


def test_raising_a_level_routes_the_agent_new_work_at_once(server: Server) -> None:
    junior = agent(server, "jo", JUNIOR)
    lead = agent(server, "lee", SENIOR, Role.LEAD)
    admin = agent(server, "ada", Profile(), Role.ADMIN)
    hard = complaint(server, junior)
    assert claim_next(server, junior) is None  # the token is now cached with the old profile
    # A lead certifies levels, not tiers; admins set both.
    answer = set_agent(server, "jo", {"skills": {"complaints": 3}}, lead)
    assert answer.status_code == 200, answer.text
    assert answer.json()["skills"] == {"complaints": 3, "faq": 2}
    assert set_agent(server, "jo", {"tier": "senior"}, lead).status_code == 403
    assert claim_next(server, junior) is None  # level 3, but complex work needs a senior
    answer = set_agent(server, "jo", {"tier": "senior"}, admin)
    assert answer.json()["tier"] == "senior"
    assert claim_next(server, junior) == hard
    # Desks learn the new profile from the change log.
    log = server.client.get("/sync/changes", params={"cursor": 0}, headers=admin).json()
    (latest, *_) = [c["payload"] for c in reversed(log["changes"]) if c["kind"] == "agent"]
    assert (latest["handle"], latest["tier"], latest["skills"]["complaints"]) == ("jo", "senior", 3)


@pytest.mark.parametrize(
    ("role", "handle", "body", "status"),
    [
        (Role.AGENT, "jo", {"skills": {"faq": 3}}, 403),
        (Role.LEAD, "lee", {"skills": {"faq": 3}}, 403),  # their own
        (Role.LEAD, "jo", {"languages": ["de"]}, 403),
        (Role.ADMIN, "nobody", {"tier": "senior"}, 404),
        (Role.ADMIN, "jo", {"skills": {"faq": 6}}, 422),
        (Role.ADMIN, "jo", {"skills": {"Bad Name": 2}}, 422),
        (Role.ADMIN, "jo", {"tier": "boss"}, 422),
        (Role.ADMIN, "jo", {"skills": {"faq": 0}, "languages": ["de", "en"]}, 200),
    ],
)
def test_setting_an_agent_is_role_checked_and_validated(
    sqlite_server: Server, role: Role, handle: str, body: dict[str, Any], status: int
) -> None:
    agent(sqlite_server, "jo", JUNIOR)
    caller = agent(sqlite_server, "lee", SENIOR, role)
    answer = set_agent(sqlite_server, handle, body, caller)
    assert answer.status_code == status, answer.text
    if status == 200:
        assert answer.json()["skills"] == {"complaints": 2}
        assert answer.json()["languages"] == ["de", "en"]


def test_add_agent_over_the_api_takes_a_routing_profile(sqlite_server: Server) -> None:
    admin = agent(sqlite_server, "ada", Profile(), Role.ADMIN)
    body = {"handle": "sam", "tier": "expert", "skills": {"faq": 5}, "languages": ["en", "fr"]}
    answer = sqlite_server.client.post("/agents", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    with sqlite_server.engine.connect() as connection:
        row = connection.execute(select(t.agents).where(t.agents.c.handle == "sam")).one()
    assert (row.tier, row.skills, row.languages) == ("expert", {"faq": 5}, ["en", "fr"])


def test_mixed_claimers_never_share_a_ticket_and_each_gets_only_their_work(
    database_url: str,
) -> None:
    engine = create_server_engine(database_url, pool_size=THREADS)
    now = datetime.now(UTC)
    kinds = [("faq", Complexity.SIMPLE), ("complaints", Complexity.COMPLEX), (None, None)]
    with engine.begin() as connection:
        for number in range(120):
            skill, complexity = kinds[number % 3]
            new = NewTicket(
                subject=f"t{number}",
                body="help",
                customer_id="c1",
                required_skill=skill,
                complexity=complexity or Complexity.STANDARD,
            )
            create_ticket(connection, new, customer_name=None, now=now)
        accounts: list[Account] = []
        for index in range(THREADS):
            profile = SENIOR if index % 2 else JUNIOR
            created, _token = add_agent(connection, f"a{index}", role=Role.AGENT, profile=profile)
            row = connection.execute(select(t.agents).where(t.agents.c.id == created.id)).one()
            accounts.append(account_of(row, DEFAULT_POLICY))
    taken: list[list[str]] = [[] for _ in range(THREADS)]

    def claimer(index: int) -> None:
        account = accounts[index]
        while True:
            with engine.begin() as connection:
                claim = claims.claim_next(
                    connection,
                    account.id,
                    account.departments,
                    now=datetime.now(UTC),
                    eligibility=account.eligibility,
                )
            if claim is None:
                return
            taken[index].append(claim.ticket.id)

    run_threads(THREADS, claimer)
    everything = [ticket_id for mine in taken for ticket_id in mine]
    assert len(everything) == 120
    assert max(Counter(everything).values()) == 1
    with engine.connect() as connection:
        kinds_of = dict(connection.execute(select(t.tickets.c.id, t.tickets.c.complexity)).all())
    for index in range(0, THREADS, 2):  # the juniors
        assert Complexity.COMPLEX.value not in {kinds_of[ticket_id] for ticket_id in taken[index]}
    engine.dispose()


def test_an_account_carries_the_eligibility_the_domain_derives() -> None:
    row: Any = type(
        "Row",
        (),
        {
            "id": "ag-1",
            "handle": "jo",
            "name": "Jo",
            "role": "agent",
            "tier": "junior",
            "skills": {"faq": 2},
            "departments": ["general"],
            "capacity": 5,
            "available": True,
            "languages": ["en"],
        },
    )()
    account = account_of(row, DEFAULT_POLICY)
    assert account.eligibility == Eligibility(
        ("general",),
        frozenset({"simple:", "standard:", "simple:faq", "standard:faq"}),
        False,
        ("en",),
    )


def test_the_cli_adds_and_sets_an_agents_routing_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url(tmp_path)
    add = ["server", "add-agent", "sam", "--database-url", url, "--tier", "senior"]
    assert main([*add, "--skills", "faq:2,complaints", "--languages", "en,fr"]) == 0
    assert profile_row(url, "sam") == ("senior", {"complaints": 1, "faq": 2}, ["en", "fr"])
    change = ["server", "set-agent", "sam", "--database-url", url]
    assert main([*change, "--skills", "complaints:4,faq:0", "--tier", "expert"]) == 0
    assert "sam is expert; complaints 4; languages en, fr" in capsys.readouterr().err
    assert profile_row(url, "sam") == ("expert", {"complaints": 4}, ["en", "fr"])
    assert main([*change]) == 1
    assert "nothing to change" in capsys.readouterr().err
    assert main([*change, "--skills", "faq:9"]) == 2
    assert main(["server", "set-agent", "nobody", "--database-url", url, "--tier", "senior"]) == 1
    assert "no agent with handle 'nobody'" in capsys.readouterr().err


def profile_row(url: str, handle: str) -> tuple[str, dict[str, int], list[str]]:
    engine = create_server_engine(url)
    with engine.connect() as connection:
        row = connection.execute(select(t.agents).where(t.agents.c.handle == handle)).one()
    engine.dispose()
    return row.tier, row.skills, row.languages


def test_a_reservation_the_holder_may_no_longer_take_goes_back_to_the_queue(
    server: Server,
) -> None:
    senior, other = agent(server, "sam", SENIOR), agent(server, "sue", SENIOR)
    admin = agent(server, "ada", Profile(), Role.ADMIN)
    hard = complaint(server, senior)
    assert [h["ticket_id"] for h in reserve(server, senior, 1)] == [hard]
    assert claim_next(server, other) is None  # reserved for sam
    assert set_agent(server, "sam", {"tier": "junior"}, admin).status_code == 200
    assert reserve(server, senior, 1) == []
    assert claim_next(server, other) == hard


def test_a_queued_ticket_reclassified_is_routed_as_what_it_is_now(server: Server) -> None:
    junior, senior = agent(server, "jo", JUNIOR), agent(server, "sam", SENIOR)
    ticket_id = faq(server, junior)
    harder = set_field(
        1, ticket_id, 10, "site-a", required_skill="complaints", complexity="complex"
    )
    assert result(server, senior, harder)["outcome"] == "applied"
    assert claim_next(server, junior) is None
    assert claim_next(server, senior) == ticket_id


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrading_fills_the_routing_facts_of_tickets_already_queued(
    backend: str, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        url = (
            sqlite_url(tmp_path)
            if backend == "sqlite"
            else stack.enter_context(throwaway_database())
        )
        engine = create_server_engine(url)
        stack.callback(engine.dispose)
        with engine.begin() as connection:
            connection.execute(
                insert(t.customers).values(
                    id="v", name="V", email="", phone="", tier="vip", language="fr"
                )
            )
            hard = NewTicket(
                "s", "b", "v", required_skill="complaints", complexity=Complexity.COMPLEX
            )
            create_ticket(connection, hard, customer_name=None, now=datetime.now(UTC))
            create_ticket(
                connection, NewTicket("s", "b", "c9"), customer_name=None, now=datetime.now(UTC)
            )
        config = alembic_config()
        for step, target in ((command.downgrade, "0006"), (command.upgrade, "head")):
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                step(config, target)
        with engine.connect() as connection:
            queue = t.routing_queue.c
            rows = connection.execute(select(queue.work, queue.vip, queue.language)).all()
    assert sorted(rows) == [("complex:complaints", True, "fr"), ("standard:", False, "en")]

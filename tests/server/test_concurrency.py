"""Concurrent claimers and writers, each thread on its own database connection."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Role
from agentdesk.server import changelog, claims
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.database import create_server_engine, reading
from agentdesk.server.tickets import create_ticket

THREADS = 8


def run_threads(count: int, work: Callable[[int], None]) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def body(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=body, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def new_tickets(engine: Engine, count: int, *, prefix: str = "t") -> None:
    with engine.begin() as connection:
        for number in range(count):
            create_ticket(
                connection,
                NewTicket(subject=f"{prefix}{number}", body="help", customer_id="c1"),
                customer_name=None,
                now=datetime.now(UTC),
            )


def owners_and_assignees(engine: Engine) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Each claim row's owner and each ticket's assignee, by ticket id."""
    with engine.connect() as connection:
        owners = dict(
            connection.execute(
                select(t.ticket_claims.c.ticket_id, t.ticket_claims.c.owner_agent_id)
            ).all()
        )
        assignees = dict(connection.execute(select(t.tickets.c.id, t.tickets.c.assignee_id)).all())
    return owners, assignees


def test_concurrent_claimers_never_share_a_ticket(database_url: str) -> None:
    engine = create_server_engine(database_url, pool_size=THREADS)
    tickets = 160
    new_tickets(engine, tickets)
    with engine.begin() as connection:
        agents = [
            add_agent(connection, f"a{index}", role=Role.AGENT)[0] for index in range(THREADS)
        ]
    taken: list[list[str]] = [[] for _ in range(THREADS)]

    # Each claimer stops at its share, so all of them must take part to drain the queue.
    share = tickets // THREADS

    def claimer(index: int) -> None:
        while len(taken[index]) < share:
            with engine.begin() as connection:
                claim = claims.claim_next(
                    connection, agents[index].id, ("general",), now=datetime.now(UTC)
                )
            if claim is None:
                return
            assert claim.epoch == 1
            taken[index].append(claim.ticket.id)

    run_threads(THREADS, claimer)
    counts = Counter(ticket for owned in taken for ticket in owned)
    assert len(counts) == tickets
    assert max(counts.values()) == 1
    owners, assignees = owners_and_assignees(engine)
    with engine.connect() as connection:
        queued = connection.execute(select(func.count()).select_from(t.routing_queue)).scalar_one()
    engine.dispose()
    assert owners == assignees and queued == 0
    by_id = {agent.id: index for index, agent in enumerate(agents)}
    for ticket, owner in owners.items():
        assert ticket in taken[by_id[owner]]


def test_the_change_log_has_no_gaps_even_while_writers_race(database_url: str) -> None:
    engine = create_server_engine(database_url, pool_size=THREADS + 1)
    per_writer = 12
    done = threading.Event()
    seen: list[int] = []

    def reader() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            with reading(engine) as connection:
                up_to, _lineage = changelog.head(connection)
                page = changelog.page(connection, cursor, 50, up_to=up_to)
            # A cursor only moves on over records it saw: a hole here would be skipped forever.
            for record in page:
                assert record["server_seq"] == cursor + 1, (cursor, record["server_seq"])
                cursor = record["server_seq"]
                seen.append(cursor)
            if finished and not page:
                return

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        run_threads(
            THREADS,
            lambda index: [new_tickets(engine, 1, prefix=f"w{index}-") for _ in range(per_writer)],
        )
    finally:
        done.set()
        watcher.join(timeout=60)
    total = THREADS * per_writer * 2  # each ticket logs its state and its first message
    assert seen == list(range(1, total + 1))
    with engine.connect() as connection:
        seqs = (
            connection.execute(
                select(t.change_log.c.server_seq).order_by(t.change_log.c.server_seq)
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert seqs == list(range(1, total + 1))


def test_the_same_ops_pushed_concurrently_take_effect_once(database_url: str) -> None:
    from agentdesk.domain.sync_ops import OpEnvelope
    from agentdesk.server import push
    from tests.server.test_push import create, reply

    engine = create_server_engine(database_url, pool_size=THREADS)
    with engine.begin() as connection:
        agent = add_agent(connection, "amy", role=Role.AGENT)[0]
    ticket_id = "offline-ticket"
    ops = [OpEnvelope.from_wire(create(1, ticket_id))]
    ops += [OpEnvelope.from_wire(reply(seq, ticket_id)) for seq in range(2, 7)]
    answers: dict[int, list[object]] = {}

    def deliver(index: int) -> None:
        answers[index] = []
        for op in ops:
            with engine.begin() as connection:
                answer = push.push_one(
                    connection, agent.id, op.client_id, op, None, now=datetime.now(UTC)
                )
            answers[index].append(answer)

    run_threads(4, deliver)
    first = answers[0]
    assert all(answer == first for answer in answers.values())
    assert [result["outcome"] for result in first] == ["applied"] * len(ops)  # type: ignore[index]
    with reading(engine) as connection:
        messages = connection.execute(select(func.count()).select_from(t.messages)).scalar()
        results = connection.execute(select(func.count()).select_from(t.op_results)).scalar()
        head, _ = changelog.head(connection)
    assert (messages, results) == (len(ops), len(ops))
    # One ticket_state + one event per op: the log holds each effect once.
    assert head == 2 * len(ops)
    engine.dispose()

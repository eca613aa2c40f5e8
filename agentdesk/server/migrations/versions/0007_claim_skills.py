"""claim-next and reservations route by skill, tier and language: the routing queue carries
each ticket's kind of work, VIP flag and customer language, and claim-next filters by them

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Agents already have tier, skills and languages columns (0001). The queue gains `work`
(`routing.work_key`: complexity and required skill), `vip` and `language`, filled here from the
tickets and customers already queued, and its order index puts VIPs first within a priority.
`agentdesk_claim_next_many` keeps its signature: each request now also carries the agent's
eligibility (claims.eligibility_parameters), and both of its picks filter by it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

CLAIM_NEXT_MANY = """
CREATE OR REPLACE FUNCTION agentdesk_claim_next_many(
    p_requests json,
    p_claimable text[],
    p_now timestamptz,
    p_expires timestamptz,
    p_attempts integer
) RETURNS TABLE (request_index integer, claim_epoch bigint, ticket_state text)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_request json;
    v_index integer := 0;
    v_agent text;
    v_departments text[];
    v_any_work boolean;
    v_work text[];
    v_takes_vip boolean;
    v_any_language boolean;
    v_languages text[];
    v_ticket text;
    v_epoch bigint;
    v_state text;
    v_seq bigint;
    v_indexes integer[] := '{}';
    v_tickets text[] := '{}';
    v_agents text[] := '{}';
    v_epochs bigint[] := '{}';
    v_states text[] := '{}';
BEGIN
    FOR v_request IN SELECT value FROM json_array_elements(p_requests) LOOP
        v_index := v_index + 1;
        v_agent := v_request ->> 'agent';
        v_departments := ARRAY(SELECT json_array_elements_text(v_request -> 'departments'));
        -- claims.eligibility_parameters: the agent's routing.Eligibility.
        v_any_work := (v_request ->> 'any_work')::boolean;
        v_work := ARRAY(SELECT json_array_elements_text(v_request -> 'work'));
        v_takes_vip := (v_request ->> 'takes_vip')::boolean;
        v_any_language := (v_request ->> 'any_language')::boolean;
        v_languages := ARRAY(SELECT json_array_elements_text(v_request -> 'languages'));
        FOR attempt IN 1 .. p_attempts LOOP
            -- A lapsed claim goes first (its ticket has waited longest), then the queue's head.
            v_ticket := NULL;
            SELECT c.ticket_id INTO v_ticket
            FROM ticket_claims AS c JOIN tickets AS t ON t.id = c.ticket_id
                JOIN customers AS u ON u.id = t.customer_id
            WHERE c.lease_expires_at <= p_now
              AND t.department_id = ANY (v_departments)
              AND t.status = ANY (p_claimable)
              AND (v_any_work
                   OR t.complexity || ':' || coalesce(t.required_skill, '') = ANY (v_work))
              AND (v_takes_vip OR u.tier <> 'vip')
              AND (v_any_language OR u.language = '' OR u.language = ANY (v_languages))
            ORDER BY c.lease_expires_at
            LIMIT 1
            FOR UPDATE OF c SKIP LOCKED;
            IF v_ticket IS NULL AND v_any_work THEN
                DELETE FROM routing_queue
                WHERE ticket_id = (
                    SELECT q.ticket_id FROM routing_queue AS q
                    WHERE q.department_id = ANY (v_departments)
                    ORDER BY q.priority_rank, q.vip DESC, q.due_at, q.ticket_id
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING ticket_id INTO v_ticket;
                EXIT WHEN v_ticket IS NULL;  -- nothing free for this agent
            ELSIF v_ticket IS NULL THEN
                -- The head of each kind of work the agent may do (its own range of
                -- ix_routing_queue_work_order), then the first of those heads: tickets the
                -- agent may not take are never walked past, however many wait ahead.
                DELETE FROM routing_queue
                WHERE ticket_id = (
                    SELECT head.ticket_id
                    FROM unnest(v_work) AS kinds(work)
                    CROSS JOIN LATERAL (
                        SELECT q.ticket_id, q.priority_rank, q.vip, q.due_at
                        FROM routing_queue AS q
                        -- A range, not `=`: with `=` the planner drops `work` from the order
                        -- and may walk ix_routing_queue_claim_order instead when it guesses
                        -- every row matches (a queue of one kind of work), reading it whole
                        -- for a kind that has no ticket.
                        WHERE q.work >= kinds.work AND q.work <= kinds.work
                          AND q.department_id = ANY (v_departments)
                          AND (v_takes_vip OR NOT q.vip)
                          AND (v_any_language OR q.language = ''
                               OR q.language = ANY (v_languages))
                        ORDER BY q.work, q.priority_rank, q.vip DESC, q.due_at, q.ticket_id
                        LIMIT 1
                        FOR UPDATE SKIP LOCKED
                    ) AS head
                    ORDER BY head.priority_rank, head.vip DESC, head.due_at, head.ticket_id
                    LIMIT 1
                )
                RETURNING ticket_id INTO v_ticket;
                EXIT WHEN v_ticket IS NULL;  -- nothing free for this agent
            END IF;
            v_epoch := NULL;
            -- An online claim, also when it takes over a lapsed reservation (revision 0004).
            INSERT INTO ticket_claims AS c
                (ticket_id, owner_agent_id, epoch, lease_expires_at, kind)
            VALUES (v_ticket, v_agent, 1, p_expires, 'online')
            ON CONFLICT (ticket_id) DO UPDATE
                SET owner_agent_id = excluded.owner_agent_id,
                    epoch = c.epoch + 1,
                    lease_expires_at = excluded.lease_expires_at,
                    kind = 'online'
                WHERE c.owner_agent_id IS NULL OR c.lease_expires_at <= p_now
            RETURNING c.epoch INTO v_epoch;
            IF v_epoch IS NOT NULL THEN
                UPDATE tickets AS t
                SET assignee_id = v_agent, updated_at = p_now, version = t.version + 1
                WHERE t.id = v_ticket
                RETURNING agentdesk_ticket_json(t)::text INTO v_state;
                v_indexes := v_indexes || v_index;
                v_tickets := v_tickets || v_ticket;
                v_agents := v_agents || v_agent;
                v_epochs := v_epochs || v_epoch;
                v_states := v_states || v_state;
                EXIT;
            END IF;
        END LOOP;
    END LOOP;
    IF cardinality(v_tickets) = 0 THEN
        RETURN;
    END IF;
    UPDATE log_head SET seq = seq + cardinality(v_tickets) WHERE id = 1 RETURNING seq INTO v_seq;
    INSERT INTO change_log (server_seq, at, kind, ticket_id, payload, tx_last_seq)
    SELECT
        v_seq - cardinality(v_tickets) + claimed.position,
        p_now,
        'ticket_state',
        claimed.ticket,
        (left(claimed.state, -1) || ', "claim" : '
            || json_build_object('owner_agent_id', claimed.agent, 'epoch', claimed.epoch)::text
            || '}')::json,
        v_seq
    FROM unnest(v_tickets, v_agents, v_epochs, v_states)
        WITH ORDINALITY AS claimed(ticket, agent, epoch, state, position);
    RETURN QUERY SELECT * FROM unnest(v_indexes, v_epochs, v_states);
END
$$
"""

BACKFILL = """
UPDATE routing_queue SET
    work = (SELECT t.complexity || ':' || coalesce(t.required_skill, '')
            FROM tickets AS t WHERE t.id = routing_queue.ticket_id),
    vip = coalesce((SELECT u.tier = 'vip' FROM tickets AS t JOIN customers AS u
                    ON u.id = t.customer_id WHERE t.id = routing_queue.ticket_id), false),
    language = coalesce((SELECT u.language FROM tickets AS t JOIN customers AS u
                         ON u.id = t.customer_id WHERE t.id = routing_queue.ticket_id), '')
"""


def upgrade() -> None:
    with op.batch_alter_table("routing_queue", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("work", sa.String(280), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column("vip", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
        batch_op.add_column(
            sa.Column("language", sa.String(16), nullable=False, server_default=sa.text("''"))
        )
        batch_op.drop_index("ix_routing_queue_order")
    # Outside the batch: SQLite's batch mode cannot name an expression (DESC) column.
    op.create_index(
        "ix_routing_queue_claim_order",
        "routing_queue",
        ["priority_rank", sa.text("vip DESC"), "due_at", "ticket_id"],
        unique=False,
    )
    op.create_index(
        "ix_routing_queue_work_order",
        "routing_queue",
        ["work", "priority_rank", sa.text("vip DESC"), "due_at", "ticket_id"],
        unique=False,
    )
    op.execute(BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(CLAIM_NEXT_MANY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        previous = _revision_0005().CLAIM_NEXT_MANY
        op.get_bind().exec_driver_sql(
            previous.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        )
    op.drop_index("ix_routing_queue_work_order", table_name="routing_queue")
    op.drop_index("ix_routing_queue_claim_order", table_name="routing_queue")
    with op.batch_alter_table("routing_queue", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routing_queue_order", ["priority_rank", "due_at", "ticket_id"], unique=False
        )
        batch_op.drop_column("language")
        batch_op.drop_column("vip")
        batch_op.drop_column("work")


def _revision_0005() -> object:
    """The function body as 0005 created it (version files are not an importable package)."""
    path = Path(__file__).with_name("0005_claim_function.py")
    spec = importlib.util.spec_from_file_location("agentdesk_revision_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

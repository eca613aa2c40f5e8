"""claim-next as one PostgreSQL function: pick, dequeue, claim, assign and log in one round trip

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The function does what `claims.claim_next` does in Python on SQLite, statement for statement,
for one request or a batch of them: one round trip (one statement, its own transaction when
run in autocommit), and the log-head row, which every writer waits for, is taken last.
`agentdesk_ticket_json` renders a ticket row exactly as `tickets.ticket_json` renders the domain
Ticket (a test compares the two), because the change-log payload is written inside the function.
It is PL/pgSQL, not SQL, on purpose: a SQL function with a subquery is not inlined and is
planned again on every call (0.9 ms a ticket, measured), a PL/pgSQL one keeps its plan.
SQLite has no stored functions: nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

# Python's datetime.isoformat() for an aware UTC datetime: no fraction when it is zero,
# six digits otherwise, and "+00:00".
ISO_TIME = """
CREATE FUNCTION agentdesk_iso(at timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(
        at AT TIME ZONE 'UTC',
        CASE WHEN date_trunc('second', at) = at THEN 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'
             ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"' END
    )
$$
"""

TICKET_JSON = """
CREATE FUNCTION agentdesk_ticket_json(ticket tickets) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN json_build_object(
        'id', ticket.id,
        'number', ticket.number,
        'subject', ticket.subject,
        'customer_id', ticket.customer_id,
        'department_id', ticket.department_id,
        'status', ticket.status,
        'priority', ticket.priority,
        'channel', ticket.channel,
        'intent', ticket.intent,
        'created_at', agentdesk_iso(ticket.created_at),
        'updated_at', agentdesk_iso(ticket.updated_at),
        'intent_confidence', ticket.intent_confidence,
        'complexity', ticket.complexity,
        'first_response_due', agentdesk_iso(ticket.first_response_due),
        'resolution_due', agentdesk_iso(ticket.resolution_due),
        'first_response_at', agentdesk_iso(ticket.first_response_at),
        'sla_paused_at', agentdesk_iso(ticket.sla_paused_at),
        'assignee_id', ticket.assignee_id,
        'required_skill', ticket.required_skill,
        'resolution', ticket.resolution,
        'csat', ticket.csat,
        'closed_at', agentdesk_iso(ticket.closed_at),
        'follow_up_of', ticket.follow_up_of,
        'links', coalesce(
            (SELECT json_agg(json_build_object(
                        'kind', link ->> 'kind',
                        'ref_id', link ->> 'ref_id',
                        'title', coalesce(link ->> 'title', '')) ORDER BY position)
             FROM json_array_elements(ticket.links) WITH ORDINALITY AS links(link, position)),
            '[]'::json),
        'version', ticket.version
    );
END
$$
"""

# claim-next for a batch of requests (each an agent and its departments) in one transaction:
# concurrent claim-next calls that a server instance combines share one commit, so one WAL
# flush, while each request still gets its own ticket, epoch and change-log row.
# Lock order as in claims.py: routing_queue row, ticket_claims row, tickets row, and log_head
# last, once for the batch. Each statement of a PL/pgSQL loop takes a fresh snapshot under
# READ COMMITTED, so a retry after a stale queue row sees what committed meanwhile.
CLAIM_NEXT_MANY = """
CREATE FUNCTION agentdesk_claim_next_many(
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
        FOR attempt IN 1 .. p_attempts LOOP
            -- A lapsed claim goes first (its ticket has waited longest), then the queue's head.
            v_ticket := NULL;
            SELECT c.ticket_id INTO v_ticket
            FROM ticket_claims AS c JOIN tickets AS t ON t.id = c.ticket_id
            WHERE c.lease_expires_at <= p_now
              AND t.department_id = ANY (v_departments)
              AND t.status = ANY (p_claimable)
            ORDER BY c.lease_expires_at
            LIMIT 1
            FOR UPDATE OF c SKIP LOCKED;
            IF v_ticket IS NULL THEN
                DELETE FROM routing_queue
                WHERE ticket_id = (
                    SELECT q.ticket_id FROM routing_queue AS q
                    WHERE q.department_id = ANY (v_departments)
                    ORDER BY q.priority_rank, q.due_at, q.ticket_id
                    LIMIT 1
                    FOR UPDATE SKIP LOCKED
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


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Straight to the driver: the bodies hold colons that a SQLAlchemy text() would take for
    # bind parameters.
    for statement in (ISO_TIME, TICKET_JSON, CLAIM_NEXT_MANY):
        op.get_bind().exec_driver_sql(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for signature in (
        "agentdesk_claim_next_many(json, text[], timestamptz, timestamptz, integer)",
        "agentdesk_ticket_json(tickets)",
        "agentdesk_iso(timestamptz)",
    ):
        op.execute(f"DROP FUNCTION {signature}")

"""claim-next runs its statements on generic plans, made on indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

PL/pgSQL keeps a cached plan per statement but, by default, plans a statement afresh for its
parameters whenever the generic plan's estimate looks worse. The routing filters of 0007 are
`(parameter OR column ...)` terms, whose generic estimate always looks worse, so every pick of
every claim was planned anew: 0.2 ms of planning for a 0.03 ms query, and a third of the claim
rate. The generic plans are the right ones (index ranges on the queue's order and kind of
work, joined on keys), so the function is pinned to them.

A generic plan is made once per session, on the statistics of that moment: made on an empty
`ticket_claims` (a new server's first claim), the lapsed-claim lookup scanned and sorted every
claim, and each claim got slower as claims piled up (a batch of 8: 5.4 to 11 ms over 7,000
claims) until autovacuum's next ANALYZE. Every statement of the function is meant to run on an
index, so sequential scans are ruled out for it (`enable_seqscan = off`).
"""

from __future__ import annotations

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

SIGNATURE = "agentdesk_claim_next_many(json, text[], timestamptz, timestamptz, integer)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER FUNCTION {SIGNATURE} SET plan_cache_mode = force_generic_plan")
        op.execute(f"ALTER FUNCTION {SIGNATURE} SET enable_seqscan = off")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER FUNCTION {SIGNATURE} RESET plan_cache_mode")
        op.execute(f"ALTER FUNCTION {SIGNATURE} RESET enable_seqscan")

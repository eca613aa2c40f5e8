"""One sync round: push pending ops in seq order, then pull change pages from the cursor.

Push stops at the first retryable failure (network, 5xx, 429), recorded on the op it was
carrying, so per-client order holds. The server's answers, rejections included, are recorded as
results. Each pulled page is applied with its cursor in one local transaction; a pulled ticket
becomes the server's copy with its still-pending local ops re-applied (`Store.apply_remote`).

A rejected op's local effect is rolled back right after its answer is recorded: the client
fetches the server's current copy of the ticket (`GET /tickets/{id}`) and rebases the ticket on
it (`Store.rebase_tickets`), as no newer change of the ticket may ever be pulled. So is any
answer with a reason (a write that lost, a refused status change, a link already there). A
round that fails in between leaves them to the next round, which rolls them back first.
Server time carried by pages and push answers ratchets the local HLC.

A pull the server answers `must_resync` (410: the cursor's lineage is not the log's, after a
restore from a backup, or the cursor is past the head) becomes a forced resync (SYNC.md §4.5):
the outbox is pushed first, then the log is downloaded again from 0 and its tickets replace the
synced state, pending ops re-applied on top (`_resync`). The store's `resyncing` flag shows it
in the status bar, and makes a round after a cut-short resync start it over.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from agentdesk.domain.held_claims import ReservePolicy
from agentdesk.domain.model import Message, Operation, Ticket
from agentdesk.domain.outbox import DeliveryState, PushResult, initial_state
from agentdesk.domain.remote import (
    BadRecord,
    RemotePage,
    message_from_wire,
    page_from_wire,
    ticket_from_wire,
)
from agentdesk.domain.sync_ops import OpEnvelope
from agentdesk.domain.sync_rules import OutcomeKind
from agentdesk.store.base import Store
from agentdesk.sync import claims

PUSH_BATCH = 100
# The server takes bodies up to 1 MiB; a batch stops growing well before that.
PUSH_BYTES = 512 * 1024
# The largest page a server serves (`server.app.MAX_PAGE`). Each page is one local commit, and
# a commit writes every index page the page's rows touched: pulling 100,000 changes in pages of
# 5,000 took a quarter less time than in pages of 1,000 (bench/README.md, catch-up).
PULL_PAGE = 5000
# The app's background rounds share the store's one thread with the screens, which wait behind
# a page's commit: smaller pages there keep a catch-up from stalling a keypress (~0.1 s each).
BACKGROUND_PULL_PAGE = 1000
# A gap answered again right after its repair means the two sides disagree on more than a skip.
MAX_GAP_REPAIRS = 3

log = logging.getLogger(__name__)


class SyncFailure(Exception):
    """A round that could not finish; the message is for the agent."""


class Unreachable(SyncFailure):
    """Network error, 5xx or 429: retry later with backoff."""


class TokenRefused(SyncFailure):
    """401/403: retrying will not help until the agent logs in again."""


class ProtocolFailure(SyncFailure):
    """The server answered something this client cannot use (a bug or a lost lineage)."""


class MustResync(Exception):
    """The cursor cannot continue the server's log (its lineage changed or the cursor is past
    its head): the round pushes the outbox, then downloads the log afresh (`_resync`)."""


@dataclass(frozen=True, slots=True)
class SyncReport:
    pushed: int = 0
    applied: int = 0
    rejected: int = 0
    pulled: int = 0  # change records applied
    cursor: int = 0


async def sync_once(
    store: Store,
    server_url: str,
    token: str,
    client_id: str,
    *,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    push_batch: int = PUSH_BATCH,
    pull_page: int = PULL_PAGE,
    reserve: ReservePolicy | None = None,
) -> SyncReport:
    """Push, then pull. Raises a SyncFailure subclass; what was done before it stays done."""
    async with _client(server_url, token, transport, timeout) as http:
        # Answers the last round recorded but may not have rolled back (it failed after); this
        # goes first, before anything is recorded, so a failure here leaves them for next time.
        unsettled = await _unsettled(store)
        if unsettled:
            await _roll_back(store, http, unsettled)
        pushed, applied, rejected = await _push(store, http, client_id, now, push_batch)
        # Before the pull: every ticket reserved now is in the log the pull reads.
        await _refresh_claims(store, http, reserve or ReservePolicy(), now)
        try:
            if (await store.sync_status()).resyncing:
                raise MustResync("a resync was under way when the last round stopped")
            pulled, cursor = await _pull(store, http, pull_page)
        except MustResync as reason:
            again = await _resync(store, http, client_id, now, push_batch, pull_page, str(reason))
            pushed, applied, rejected = (
                pushed + again.pushed,
                applied + again.applied,
                rejected + again.rejected,
            )
            pulled, cursor = again.pulled, again.cursor
        # Note the round's time even when nothing was pushed.
        await store.record_push_results([], now=now)
    return SyncReport(pushed, applied, rejected, pulled, cursor)


def _client(
    server_url: str, token: str, transport: httpx.AsyncBaseTransport | None, timeout: float
) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(
        base_url=server_url,
        headers=headers,
        transport=transport,
        timeout=timeout,
        verify=_tls_context(),
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: building it (loading the CA bundle) cost
    every round, and every write-through push, some 50 ms of CPU."""
    return httpx.create_ssl_context()


async def _send(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.TransportError as error:
        raise Unreachable(f"server unreachable: {error.__class__.__name__}: {error}") from None
    if response.status_code in (401, 403):
        raise TokenRefused(
            f"the server refused the token ({response.status_code}: {_detail(response)})"
        )
    if response.status_code == 429 or response.status_code >= 500:
        raise Unreachable(f"server busy or failing ({response.status_code}): {_detail(response)}")
    return response


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:200]


async def _push(
    store: Store,
    http: httpx.AsyncClient,
    client_id: str,
    now: datetime,
    batch: int,
    probe: Operation | None = None,
) -> tuple[int, int, int]:
    """Counts of pushed, applied and rejected ops; each batch's answers with a reason are
    rolled back right after they are recorded.

    `probe`, an op answered already, goes first when nothing is pending: a server that lost it
    (restored from a backup) applies it again or answers a gap, which resends every op it lost.
    """
    pushed = applied = rejected = 0
    prev_seq: int | None = None
    resend: list[Operation] = [probe] if probe is not None else []
    repairs = 0
    while True:
        pending = await store.pending_operations(limit=batch)
        ops = resend + [op for op in pending if op.seq > (resend[-1].seq if resend else 0)]
        resend = []
        if not ops:
            return pushed, applied, rejected
        sent, wire = _fitting(await _outgoing(store, http, ops, client_id), prev_seq)
        body = {"client_id": client_id, "ops": wire}
        try:
            response = await _send(http, "POST", "/sync/push", json=body)
        except Unreachable as failure:
            await store.record_push_failure(ops[0].op_id, str(failure))
            raise
        answer = response.json()
        if response.status_code not in (200, 409) or "results" not in answer:
            raise ProtocolFailure(f"push refused ({response.status_code}): {_detail(response)}")
        results = [_result(raw) for raw in answer["results"]]
        await store.record_push_results(results, now=now)
        await _observe_time(store, answer)
        tickets = {op.op_id: op.payload.get("ticket_id") for op in ops}
        undone = {
            ticket for r in results if r.reason and isinstance(ticket := tickets.get(r.op_id), str)
        }
        if undone:
            await _roll_back(store, http, undone)
        pushed += len(results)
        applied += sum(1 for r in results if r.outcome is not OutcomeKind.REJECTED)
        rejected += sum(1 for r in results if r.outcome is OutcomeKind.REJECTED)
        if response.status_code == 200:
            prev_seq = sent[-1].client_seq
            repairs = 0
            probe = None
            continue
        repairs += 1
        if repairs > MAX_GAP_REPAIRS:
            raise ProtocolFailure("the server keeps answering a gap; a full resync is needed")
        expected = int(answer["expected_seq"])
        first_unsent = sent[len(results)].client_seq
        # Everything the server has not seen between its expected seq and our next op: pushable
        # ones (answered here, lost there) go again; local-only ones are skipped by `prev_seq`.
        between = await store.operations(after_seq=expected - 1, limit=first_unsent - expected)
        resend = [op for op in between if initial_state(op.kind) is DeliveryState.PENDING]
        if probe is not None and probe.seq >= first_unsent:
            resend.append(probe)  # answered here already: no pending list brings it back
        prev_seq = expected - 1


async def _outgoing(
    store: Store, http: httpx.AsyncClient, ops: list[Operation], client_id: str
) -> list[OpEnvelope]:
    try:
        return await claims.outgoing(store, http, _send, ops, client_id)
    except claims.ClaimsRefused as error:
        raise ProtocolFailure(str(error)) from None


async def _refresh_claims(
    store: Store, http: httpx.AsyncClient, reserve: ReservePolicy, now: datetime
) -> None:
    try:
        await claims.refresh(store, http, _send, reserve, now=now)
    except claims.ClaimsRefused as error:
        raise ProtocolFailure(str(error)) from None


async def _unsettled(store: Store) -> set[str]:
    """Tickets of ops answered with a reason since the last round that recorded anything.

    Every answer of a round is stamped with the round's time, as is `last_sync_at`, and a round
    rolls back each batch's answers right after recording them: so an answer not rolled back
    yet (its round failed in between) is never older than `last_sync_at`. Rolling back one
    twice is harmless.
    """
    last = (await store.sync_status()).last_sync_at
    if last is None:
        return set()
    return {
        ticket
        for answer in await store.answers_with_reasons(last)
        if isinstance(ticket := answer.op.payload.get("ticket_id"), str)
    }


async def _observe_time(store: Store, answer: dict[str, Any]) -> None:
    raw = answer.get("server_time")
    if not isinstance(raw, str):
        return  # an older server: the clock ratchets on pulled pages only
    try:
        seen = datetime.fromisoformat(raw)
    except ValueError:
        raise ProtocolFailure(f"unreadable server_time {raw!r}") from None
    await store.observe_server_time(seen)


async def _roll_back(store: Store, http: httpx.AsyncClient, ticket_ids: set[str]) -> None:
    """Rebase each ticket with a rejected op on the server's current copy, in one transaction."""
    copies: list[Ticket] = []
    messages: list[Message] = []
    for ticket_id in sorted(ticket_ids):
        response = await _send(http, "GET", f"/tickets/{ticket_id}")
        if response.status_code == 404:
            continue  # the server never had it (a rejected create): nothing to roll back to
        if response.status_code != 200:
            raise ProtocolFailure(
                f"ticket fetch refused ({response.status_code}): {_detail(response)}"
            )
        try:
            answer = response.json()
            copies.append(ticket_from_wire(answer["ticket_state"]))
            messages += [message_from_wire(raw) for raw in answer["messages"]]
        except (KeyError, TypeError, ValueError) as error:
            raise ProtocolFailure(f"unreadable ticket {ticket_id}: {error}") from None
    if copies:
        await store.rebase_tickets(copies, messages)


def _fitting(
    sent: list[OpEnvelope], prev_seq: int | None
) -> tuple[list[OpEnvelope], list[dict[str, object]]]:
    """The longest prefix of `sent` (one op at least) whose wire form fits PUSH_BYTES."""
    wire: list[dict[str, object]] = []
    size = 0
    for envelope in sent:
        raw = envelope.to_wire()
        if prev_seq is not None:
            raw["prev_seq"] = prev_seq
        size += len(json.dumps(raw))
        if wire and size > PUSH_BYTES:
            break
        prev_seq = envelope.client_seq
        wire.append(raw)
    return sent[: len(wire)], wire


def _result(raw: dict[str, Any]) -> PushResult:
    """The op's result; its reason also says what of an acknowledged op did not happen.

    Every answer with a reason is rolled back (`_roll_back`): a rejection, a write that lost
    (`lost_fields`), a reply whose status change was refused (`status_kept`).
    """
    reason = raw.get("reason") or None
    if raw.get("lost_fields"):
        reason = reason or "lost_fields: " + ", ".join(map(str, raw["lost_fields"]))
    elif raw.get("outcome") == OutcomeKind.APPLIED_LOST_LWW.value:
        reason = reason or "lost_fields"
    if raw.get("status_kept"):
        reason = reason or f"status_kept: {raw['status_kept']}"
    if raw.get("unchanged"):
        reason = reason or f"unchanged: {raw['unchanged']}"
    try:
        outcome = OutcomeKind(raw["outcome"])
        return PushResult(raw["op_id"], outcome, raw.get("server_seq"), reason)
    except (KeyError, ValueError) as error:
        raise ProtocolFailure(f"unreadable push result {raw!r}: {error}") from None


async def _resync(
    store: Store,
    http: httpx.AsyncClient,
    client_id: str,
    now: datetime,
    push_batch: int,
    pull_page: int,
    reason: str,
) -> SyncReport:
    """Push the outbox, then replace the synced state with a fresh download of the log.

    Unacknowledged local ops are never discarded (SYNC.md §4.5): they are pushed first (a
    failure stops the resync before anything is reset), and any still pending after that are
    re-applied on top of each fresh ticket by `apply_remote` and spared by `finish_resync`.
    """
    log.warning("resyncing…: %s", reason)
    pushed, applied, rejected = await _push(store, http, client_id, now, push_batch)
    # The server may have lost ops it acknowledged (a backup older than them): the last one
    # pushed, sent again, has it apply that one again or answer the gap before it.
    probe = await _last_pushed(store)
    if probe is not None:
        more = await _push(store, http, client_id, now, push_batch, probe)
        pushed, applied, rejected = pushed + more[0], applied + more[1], rejected + more[2]
    await store.begin_resync()
    fresh: set[str] = set()
    try:
        pulled, cursor = await _pull(store, http, pull_page, fresh)
    except MustResync as again:
        # The log changed again under the download: the flag left set starts it over next round.
        raise ProtocolFailure(f"the server's log changed during a resync ({again})") from None
    dropped = await store.finish_resync(fresh)
    log.warning(
        "resynced: %d change record(s) pulled up to seq %d, %d ticket(s) the server no "
        "longer has dropped",
        pulled,
        cursor,
        dropped,
    )
    return SyncReport(pushed, applied, rejected, pulled, cursor)


async def _last_pushed(store: Store) -> Operation | None:
    """The latest op of a pushable kind in the log (read to the end: a resync is rare)."""
    last: Operation | None = None
    after = 0
    while page := await store.operations(after_seq=after, limit=PULL_PAGE):
        last = next(
            (op for op in reversed(page) if initial_state(op.kind) is DeliveryState.PENDING), last
        )
        after = page[-1].seq
    return last


async def _pull(
    store: Store, http: httpx.AsyncClient, limit: int, fresh: set[str] | None = None
) -> tuple[int, int]:
    """Apply pages from the cursor until the server has no more; each page with its cursor in
    one local transaction (`Store.apply_remote`). `fresh` collects the ids of the tickets pulled.

    The next page is requested while the replica applies the current one, so the server's
    work and the transfer overlap the local writes. It is read (decoded, checked) only once
    the apply is done: reading is Python work, and a second busy Python thread would make the
    store's thread wait for the GIL after every row SQLite writes (several times slower).
    The store's cursor moves only with an applied page; a fetched page never applied is just
    fetched again next round.
    """
    status = await store.sync_status()
    cursor = status.cursor
    lineage = status.server_epoch
    pulled = 0
    fetching = asyncio.ensure_future(_fetch_page(http, cursor, limit, lineage))
    try:
        while True:
            page, more, up_to = await _read_page(await fetching, cursor, lineage)
            if page.cursor == cursor:
                if page.server_time is not None:
                    await store.observe_server_time(page.server_time)
                return pulled, cursor
            # The first page names the lineage of a fresh replica; the rest must keep to it.
            lineage = page.server_epoch
            if more:
                fetching = asyncio.ensure_future(_fetch_page(http, page.cursor, limit, lineage))
            await store.apply_remote(page)
            if fresh is not None:
                fresh.update(ticket.id for ticket in page.tickets)
                log.info("resyncing… seq %d of %s", page.cursor, "?" if up_to is None else up_to)
            if page.skipped_kinds:
                # A newer server's records, or kinds this client does not apply yet: passed over.
                log.info(
                    "skipped %d change record(s) of kind %s up to seq %d",
                    page.skipped,
                    ", ".join(page.skipped_kinds),
                    page.cursor,
                )
            pulled += page.cursor - cursor
            cursor = page.cursor
            if not more:
                return pulled, cursor
    finally:
        if not fetching.done():
            fetching.cancel()
        # A prefetch the round will not use: consumed, so its failure neither replaces the
        # round's own nor is reported as never retrieved.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await fetching


async def _fetch_page(
    http: httpx.AsyncClient, cursor: int, limit: int, lineage: str | None
) -> bytes:
    params: dict[str, str | int] = {"cursor": cursor, "limit": limit}
    if lineage is not None:
        params["epoch"] = lineage
    response = await _send(http, "GET", "/sync/changes", params=params)
    if response.status_code == 410:
        raise MustResync(_detail(response))
    if response.status_code != 200:
        raise ProtocolFailure(f"pull refused ({response.status_code}): {_detail(response)}")
    return response.content


async def _read_page(
    body: bytes, cursor: int, lineage: str | None
) -> tuple[RemotePage, bool, int | None]:
    """The page after `cursor`, whether the server has more after it, and its log head (None
    when the server did not say).

    Decoding and reading a page is tens of milliseconds of CPU: done off the event loop, so
    the screen stays responsive through a long catch-up.
    """
    return await asyncio.to_thread(_page_of, body, cursor, lineage)


def _page_of(body: bytes, cursor: int, lineage: str | None) -> tuple[RemotePage, bool, int | None]:
    try:
        answer = json.loads(body)
        epoch = answer.get("server_epoch")
        if lineage is not None and epoch != lineage:
            # A server that does not check the lineage itself.
            raise MustResync(f"the server's log lineage changed ({lineage} -> {epoch})")
        page = page_from_wire(
            answer["changes"], cursor=cursor, epoch=epoch, server_time=answer.get("server_time")
        )
    except (BadRecord, AttributeError, KeyError, TypeError, ValueError) as error:
        raise ProtocolFailure(f"unreadable change page: {error}") from None
    up_to = answer.get("up_to_seq")
    return page, bool(answer.get("more")), up_to if isinstance(up_to, int) else None


async def push_pending(
    store: Store,
    server_url: str,
    token: str,
    client_id: str,
    *,
    now: datetime,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
    push_batch: int = PUSH_BATCH,
) -> SyncReport:
    """Push only (a write-through after a local commit); the cursor is not moved."""
    async with _client(server_url, token, transport, timeout) as http:
        pushed, applied, rejected = await _push(store, http, client_id, now, push_batch)
    status = await store.sync_status()
    return SyncReport(pushed, applied, rejected, 0, status.cursor)


async def publish_skill_level(
    server_url: str,
    token: str,
    handle: str,
    skill: str,
    level: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float = 10.0,
) -> None:
    """Tell the server a lead certified `handle` at `level` in `skill` (0: not certified), so
    its claim-next routes by it; SyncFailure when the server could not or would not take it."""
    async with _client(server_url, token, transport, timeout) as http:
        response = await _send(http, "PATCH", f"/agents/{handle}", json={"skills": {skill: level}})
    if response.status_code != 200:
        raise ProtocolFailure(
            f"the server did not take {handle}'s {skill} level ({response.status_code}: "
            f"{_detail(response)})"
        )

"""The queue: the agent's tickets or the team's, filtered, windowed, kept fresh.

The screen owns the query and answers the table's page requests from the store; the table only
ever holds a few pages, so a queue of 100,000 tickets scrolls as fast as one of ten.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Tab, Tabs

from agentdesk.domain.held_claims import nothing_to_pull, reserved_count
from agentdesk.domain.model import TicketRow
from agentdesk.domain.routing import CannotPull
from agentdesk.keymap import bind
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.errors import StoreError
from agentdesk.widgets.status_bar import StatusBar
from agentdesk.widgets.ticket_table import PAGE_SIZE, TicketTable

if TYPE_CHECKING:
    from agentdesk.app import AgentDeskApp

SCOPE_LABELS = {Scope.TEAM: "Team", Scope.MINE: "Mine"}
SLA_REPAINT_SECONDS = 60.0
# Start-up goes on after the first rows show (imports deferred until then, first pages).
GC_SETTLE_SECONDS = 3.0
# Full collections wait for the minute tick; the young generations are collected as usual.
NO_AUTOMATIC_FULL_COLLECTION = 1_000_000


class Preview(Widget):
    """The highlighted ticket's subject; repaints without a relayout (it moves with every key)."""

    text: reactive[str] = reactive("")

    def render(self) -> str:
        return self.text


class ScopeTabs(Tabs, can_focus=False):
    """Team / Mine: switched with `t` or a click; never takes the keys from the table."""


class QueueScreen(Screen[None]):
    HELP_TITLE = "Queue"
    AUTO_FOCUS = "#queue-tickets"

    DEFAULT_CSS = """
    QueueScreen {
        layout: vertical;
        #queue-toolbar { height: 3; }
        #queue-toolbar Tabs { width: 24; margin-top: 1; }
        #queue-filter { width: 1fr; }
        #queue-tickets { height: 1fr; }
        #queue-preview { height: 1; padding: 0 1; color: $text-muted; background: $panel; }
    }
    """

    BINDINGS = [
        bind(
            "queue.pull_next",
            "n",
            "pull_next",
            "Pull next",
            "Assign yourself the best ticket for you now (SLA risk, priority, waiting, skill "
            "fit), and open it",
        ),
        bind("queue.open", "enter", "open", "Open", "Open the highlighted ticket"),
        bind(
            "queue.filter",
            "slash",
            "filter",
            "Filter",
            "Filter by #number, subject, intent or customer (enter applies, escape leaves)",
        ),
        bind(
            "queue.toggle_scope",
            "t",
            "toggle_scope",
            "Mine/Team",
            "Switch between your own tickets and the team queue",
        ),
        bind("queue.refresh", "ctrl+r", "refresh", "Refresh", "Reload the queue", show=False),
        bind(
            "queue.my_reviews",
            "v",
            "my_reviews",
            "My reviews",
            "Leads' case reviews of your closed tickets: score, reviewer and comment",
            show=False,
        ),
        bind(
            "queue.lead_view",
            "L",
            "lead_view",
            "Lead view",
            "Leads and admins: queues with SLA risk, their tickets and agents, KPIs, reassign",
            show=False,
        ),
        bind(
            "queue.clear_filter",
            "escape",
            "clear_filter",
            "Clear filter",
            "Leave the filter box, or clear the filter",
            show=False,
        ),
    ]

    scope: reactive[Scope] = reactive(Scope.TEAM, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self._loaded_once = False
        self._can_open = False  # a loaded row is highlighted
        # The query the table's rows come from; page requests are answered from it.
        self._shown_query: TicketQuery | None = None
        # Page requests from the table not answered yet: offset -> (generation, limit).
        self._wanted_pages: dict[int, tuple[int, int]] = {}
        self._loading_pages = False
        self._collecting_on_the_minute = False

    @property
    def desk(self) -> AgentDeskApp:
        return cast("AgentDeskApp", self.app)

    @property
    def table(self) -> TicketTable:
        return self.query_one("#queue-tickets", TicketTable)

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="queue-status")
        with Horizontal(id="queue-toolbar"):
            yield ScopeTabs(
                Tab(SCOPE_LABELS[Scope.TEAM], id=Scope.TEAM.value),
                Tab(SCOPE_LABELS[Scope.MINE], id=Scope.MINE.value),
                active=self.scope.value,
            )
            yield Input(
                placeholder="/ filter: #number, subject, intent or customer", id="queue-filter"
            )
        yield TicketTable(id="queue-tickets")
        yield Preview(id="queue-preview")
        yield Footer()

    def on_mount(self) -> None:
        status = self.query_one(StatusBar)
        agent = self.desk.agent
        info = self.desk.store.info()
        status.agent = f"{agent.handle} ({agent.role.value})"
        status.store = f"{info.backend} {info.location}"
        status.sync_view = self.desk.sync_view
        self.table.loading = True
        self._repaint_clocks()
        # Countdowns show whole minutes: repaint on the minute, once a minute, not per frame.
        now = self.desk.now()
        into_minute = now.second + now.microsecond / 1_000_000
        self.set_timer(SLA_REPAINT_SECONDS - into_minute, self._start_minute_ticks)

    def _start_minute_ticks(self) -> None:
        self._minute_tick()
        self.set_interval(SLA_REPAINT_SECONDS, self._minute_tick)

    def _minute_tick(self) -> None:
        self._repaint_clocks()
        if self._collecting_on_the_minute:
            gc.collect()

    def _collect_off_the_key_path(self) -> None:
        """Keep the garbage collector's full collections away from keypresses.

        A full collection walks every object the app holds: 30-90 ms here with the store and
        Textual loaded, and a keypress that lands on one waits as long (it happened about
        every 4 seconds while scrolling). So full collections run on the minute tick instead
        of whenever the allocation count says, and what start-up built, which lives as long
        as the app, is frozen once start-up is over, so they no longer walk it. Not in
        headless runs: tests run many apps in one process, and would keep each one's heap.
        """
        if not self.app.is_headless:
            self._defer_full_collections()

    def _defer_full_collections(self) -> None:
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTION)
        self._collecting_on_the_minute = True
        self.set_timer(GC_SETTLE_SECONDS, gc.freeze)

    def _repaint_clocks(self) -> None:
        now = self.desk.now()
        policies = self.desk.store.policies  # may have been reloaded since the last tick
        if policies is not self.table.sla_policies:
            self.table.sla_policies = policies
        self.table.now = now
        self.query_one(StatusBar).clock = now.strftime("%H:%M %Z").strip()

    def on_screen_resume(self) -> None:
        # Back from a ticket (or first shown): what we show may have changed meanwhile.
        self.reload()

    # -- loading ---------------------------------------------------------------------------
    def current_query(self) -> TicketQuery:
        agent = self.desk.agent
        return TicketQuery(
            scope=self.scope,
            agent_id=agent.id,
            departments=agent.departments if self.scope is Scope.TEAM else (),
            text=self.filter_text,
        )

    def reload(self) -> None:
        """Reload the same queue, keeping the cursor where it was."""
        self.load_queue(keep_cursor=self._loaded_once)

    @work(group="queue", exclusive=True)
    async def load_queue(self, keep_cursor: bool = False) -> None:
        query = self.current_query()
        table = self.table
        anchor = table.cursor_row // PAGE_SIZE * PAGE_SIZE if keep_cursor else 0
        try:
            count = await self.desk.store.count_tickets(query)
            rows = await self.desk.store.ticket_rows(query, anchor, PAGE_SIZE)
        except StoreError as error:
            self.desk.report_error(error, action="load the queue")
            return
        if query != self.current_query():
            return  # the scope or filter changed while we waited; a newer load is under way
        self._wanted_pages.clear()
        self._shown_query = query
        table.empty_message = (
            f"No tickets match {self.filter_text!r}" if self.filter_text else "No tickets here"
        )
        table.reset(count, rows=rows, rows_offset=anchor, keep_cursor=keep_cursor)
        if count == 0:
            self.query_one(Preview).text = ""
        table.loading = False
        if not self._loaded_once:
            self._loaded_once = True
            self._collect_off_the_key_path()
        self._update_can_open()
        self._show_count(count)

    def _show_count(self, count: int) -> None:
        noun = "ticket" if count == 1 else "tickets"
        where = SCOPE_LABELS[self.scope].lower()
        matching = f" matching {self.filter_text!r}" if self.filter_text else ""
        self.query_one(StatusBar).counts = f"{count:,} {noun} ({where}){matching}"

    @on(TicketTable.PageNeeded)
    def _page_needed(self, event: TicketTable.PageNeeded) -> None:
        if event.generation != self.table.generation:
            return
        self._wanted_pages[event.offset] = (event.generation, event.limit)
        if not self._loading_pages:
            self._loading_pages = True
            # After the frame that moved the cursor: a read started now would share the CPU
            # (and the GIL) with that paint and delay it; started after, it is done long
            # before the next key, as the table asks for pages a screen ahead.
            self.call_after_refresh(self._start_loading_pages)

    def _start_loading_pages(self) -> None:
        self.run_worker(self._load_pages(), group="pages", name="load pages")

    async def _load_pages(self) -> None:
        """Answer page requests one at a time, nearest the cursor first.

        Scrolling fast asks for many pages; by the time one is reached it may have left the
        window, and is then skipped rather than read, so the store never builds a backlog.
        """
        table = self.table
        try:
            while self._wanted_pages:
                centre = table.cursor_row
                offset = min(self._wanted_pages, key=lambda o: abs(o - centre))
                generation, limit = self._wanted_pages.pop(offset)
                query = self._shown_query
                if query is None or not table.wants(generation, offset):
                    table.forget_request(generation, offset)
                    continue
                try:
                    rows: Sequence[TicketRow] = await self.desk.store.ticket_rows(
                        query, offset, limit
                    )
                except StoreError as error:
                    table.forget_request(generation, offset)
                    self.desk.report_error(error, action="load tickets")
                    continue
                table.add_page(generation, offset, rows)
        finally:
            self._loading_pages = False

    # -- highlight and open ----------------------------------------------------------------
    @on(TicketTable.TicketHighlighted)
    def _highlighted(self, event: TicketTable.TicketHighlighted) -> None:
        preview = self.query_one(Preview)
        row = event.row
        preview.text = (
            "…" if row is None else f"#{row.number}  {row.subject}  ·  {row.customer_name}"
        )
        self._update_can_open()

    def _update_can_open(self) -> None:
        can_open = self.table.highlighted is not None
        if can_open != self._can_open:
            # Only when it changes: refreshing bindings recomposes the footer.
            self._can_open = can_open
            self.refresh_bindings()

    @on(TicketTable.TicketSelected)
    def _selected(self, event: TicketTable.TicketSelected) -> None:
        self.desk.open_ticket(event.row.id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return True if self._can_open else None
        return True

    def action_open(self) -> None:
        self.table.action_select_cursor()

    def action_pull_next(self) -> None:
        self.pull_next()

    def action_lead_view(self) -> None:
        self.desk.show_lead_view()

    def action_my_reviews(self) -> None:
        from agentdesk.screens.my_reviews import MyReviewsScreen

        self.app.push_screen(MyReviewsScreen())

    @work(group="pull", exclusive=True)
    async def pull_next(self) -> None:
        # With a server, only tickets it reserved for this agent (domain/held_claims.py).
        synced = self.desk.sync_server is not None
        store, now = self.desk.store, self.desk.now()
        try:
            # Read the agent again: a lead may have changed their skill levels since start-up,
            # and routing must use the levels in force now.
            self.desk.agent = await store.agent_by_handle(self.desk.agent.handle)
            ticket = await store.claim_next(self.desk.agent, now, reserved_only=synced)
            status = await store.sync_status() if synced and ticket is None else None
        except (StoreError, CannotPull) as error:
            self.desk.report_error(error, action="pull the next ticket")
            return
        if synced:
            self.desk.sync_now()  # push the take and top the reservations up
        if ticket is None:
            if status is None:
                text = "Nothing to pull: no unassigned ticket you can take."
            else:
                reserved = reserved_count(status.reserved_until, now)
                text = nothing_to_pull(online=self.desk.sync_online, reserved=reserved)
            self.notify(text, severity="warning")
            return
        self.notify(f"#{ticket.number} {ticket.subject}", title="Pulled")
        self.reload()
        self.desk.open_ticket(ticket.id)

    # -- scope and filter ------------------------------------------------------------------
    def action_toggle_scope(self) -> None:
        self.scope = Scope.MINE if self.scope is Scope.TEAM else Scope.TEAM

    def watch_scope(self, scope: Scope) -> None:
        self.query_one(Tabs).active = scope.value
        self.load_queue()

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab.id:
            self.scope = Scope(event.tab.id)

    def action_filter(self) -> None:
        # Synchronously: keys typed right after `/` must reach the box, not the table (`n`!).
        self.set_focus(self.query_one("#queue-filter", Input))

    @on(Input.Submitted, "#queue-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.filter_text = event.value.strip()
        self.set_focus(self.table)
        self.load_queue()

    def action_clear_filter(self) -> None:
        field = self.query_one("#queue-filter", Input)
        if field.has_focus:
            field.value = self.filter_text  # leave without applying what was typed
            self.set_focus(self.table)
        elif self.filter_text:
            field.value = ""
            self.filter_text = ""
            self.load_queue()

    def action_refresh(self) -> None:
        self.reload()

"""The team lead's split view: queues on the left, the chosen queue's tickets or agents on the
right, a ticket's conversation beside them, and the queue's KPIs on top.

Everything it shows is read in workers: the board (`metrics_snapshot` and `queue_clocks`, a few
grouped queries) on a timer and after each of the lead's own actions; the ticket list a page at
a time, as the queue screen does, so a queue of 100,000 tickets costs what a queue of ten does.
A refresh replaces the lines in place and puts the cursors back on the same queue and row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Sparkline, Static
from textual.widgets.data_table import RowDoesNotExist
from textual.worker import WorkerCancelled, WorkerFailed

from agentdesk.domain.lead_alerts import LeadAlert, evaluate
from agentdesk.domain.lead_board import (
    AGENT_HEADER,
    ALL_QUEUES,
    QUEUE_HEADER,
    TICKET_HEADER,
    AgentLine,
    QueueLine,
    agent_lines,
    agent_record,
    csv_text,
    export_name,
    hourly_windows,
    queue_lines,
    queue_record,
    queue_series,
    risk_horizons,
    serves,
    ticket_record,
)
from agentdesk.domain.metrics import (
    GroupKey,
    Kpis,
    MetricsSnapshot,
    Period,
    Tally,
    Window,
    by_queue,
    period_window,
    total,
)
from agentdesk.domain.model import Agent, TicketRow
from agentdesk.domain.reviews import is_lead
from agentdesk.domain.sla import format_remaining
from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.widgets.alert_panel import AlertPanel
from agentdesk.widgets.conversation import Conversation
from agentdesk.widgets.ticket_table import PAGE_SIZE, TicketTable

if TYPE_CHECKING:
    from agentdesk.app import AgentDeskApp

LEADS_ONLY = "The lead view is for leads and admins only."
REFRESH_SECONDS = 12.0
SPARK_HOURS = 12
# The sparkline is read with every TREND_EVERY-th refresh (about once a minute).
TREND_EVERY = 5
KPI_PERIODS = (Period.TODAY, Period.SHIFT, Period.WEEK)
PERIOD_LABELS = {Period.TODAY: "Today", Period.SHIFT: "This shift", Period.WEEK: "7 days"}
EXPORT_PAGE = 1000


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def _duration(amount: timedelta | None) -> str:
    return "—" if amount is None else format_remaining(amount)


def kpi_strip(period: Period, kpis: Kpis) -> str:
    """One line a lead reads at a glance (`—` where nothing was measured yet)."""
    return (
        f"{PERIOD_LABELS[period]}: {kpis.arrivals} in · {kpis.resolved} resolved · "
        f"1st reply {_duration(kpis.average_first_response)} "
        f"(SLA {_percent(kpis.first_response_sla)}) · "
        f"resolution SLA {_percent(kpis.resolution_sla)} · "
        f"FCR {_percent(kpis.first_contact_resolution)} · "
        f"reopened {_percent(kpis.reopen_rate)} · "
        f"CSAT {_percent(kpis.csat)} of {kpis.csat_responses} · "
        f"AHT {_duration(kpis.average_handle_time)}"
    )


@dataclass(frozen=True, slots=True)
class Board:
    """One refresh's reading of the store."""

    lines: list[QueueLine]
    snapshot: MetricsSnapshot
    periods: dict[Period, dict[GroupKey, Tally]]


class LeadScreen(Screen[None]):
    HELP_TITLE = "Lead view"
    AUTO_FOCUS = "#lead-queues"

    DEFAULT_CSS = """
    LeadScreen {
        layout: vertical;
        #lead-title { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
        #lead-kpis { height: 1; padding: 0 1; }
        #lead-trend { height: 1; }
        #lead-trend-label { width: auto; padding: 0 1; color: $text-muted; }
        #lead-spark { width: 36; }
        #lead-panes { height: 1fr; }
        #lead-queues { width: 54; height: 1fr; }
        #lead-right { width: 1fr; }
        #lead-list-title { height: 1; padding: 0 1; color: $text-muted; }
        #lead-tickets, #lead-agents { height: 1fr; }
        #lead-detail { width: 1fr; display: none; border-left: vkey $primary; }
        #lead-detail.-open { display: block; }
        #lead-detail-head { height: auto; padding: 0 1; background: $panel; }
        #lead-conversation { height: 1fr; }
    }
    """

    BINDINGS = [
        bind(
            "lead.toggle_list",
            "g",
            "toggle_list",
            "Tickets/Agents",
            "Show the queue's tickets or its agents (load, status, current ticket)",
        ),
        bind(
            "lead.open",
            "enter",
            "open",
            "Open",
            "Show the highlighted ticket's conversation beside the list",
        ),
        bind("lead.reassign", "a", "reassign", "Reassign", "Give the ticket to another agent"),
        bind("lead.priority", "p", "priority", "Priority", "Change the ticket's priority"),
        bind("lead.transfer", "t", "transfer", "Transfer", "Move the ticket to another queue"),
        bind(
            "lead.period",
            "m",
            "cycle_period",
            "Period",
            "Show the queue's KPIs for today, this shift or the last 7 days",
        ),
        bind(
            "lead.export",
            "x",
            "export",
            "Export",
            "Write the list in focus (queues, tickets or agents) to a CSV file in the data "
            "directory",
        ),
        bind(
            "lead.close",
            "escape",
            "close",
            "Close",
            "Close the ticket beside the list, or leave the lead view",
        ),
        bind(
            "lead.alerts",
            "w",
            "toggle_alerts",
            "Alerts",
            "Open or close the list of alerts (queues over their limits, SLA breaches near, "
            "agents over capacity); enter goes to the queue or agent",
        ),
        bind("lead.refresh", "ctrl+r", "refresh", "Refresh", "Read the board again", show=False),
    ]

    showing_agents: reactive[bool] = reactive(False, init=False)
    period: reactive[Period] = reactive(Period.TODAY, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.queue = ALL_QUEUES
        self.board: Board | None = None
        self.agents: list[Agent] = []
        self.agent_lines: list[AgentLine] = []
        self.detail_id: str | None = None
        self.hourly: list[dict[GroupKey, Tally]] = []
        self._refreshes = 0
        self._failing = False
        self._refreshed_at = "never"
        self._shown_query: TicketQuery | None = None

    @property
    def desk(self) -> AgentDeskApp:
        return cast("AgentDeskApp", self.app)

    @property
    def queues(self) -> DataTable[str]:
        return self.query_one("#lead-queues", DataTable)

    @property
    def tickets(self) -> TicketTable:
        return self.query_one("#lead-tickets", TicketTable)

    @property
    def agent_table(self) -> DataTable[str]:
        return self.query_one("#lead-agents", DataTable)

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("Lead view", id="lead-title", markup=False)
        yield Static("", id="lead-kpis", markup=False)
        with Horizontal(id="lead-trend"):
            yield Static(f"arrivals per hour, last {SPARK_HOURS} h", id="lead-trend-label")
            yield Sparkline([], id="lead-spark")
        yield AlertPanel(key=self._alerts_key(), id="lead-alerts")
        with Horizontal(id="lead-panes"):
            yield DataTable(id="lead-queues", cursor_type="row", zebra_stripes=True)
            with Vertical(id="lead-right"):
                yield Static("", id="lead-list-title", markup=False)
                yield TicketTable(id="lead-tickets")
                agents: DataTable[str] = DataTable(id="lead-agents", cursor_type="row")
                agents.display = False
                yield agents
            with Vertical(id="lead-detail"):
                yield Static("", id="lead-detail-head", markup=False)
                yield Conversation(id="lead-conversation")
        yield Footer()

    def on_mount(self) -> None:
        if not is_lead(self.desk.agent):
            # Reached some other way than the `L` key (which checks first): leave at once.
            self.notify(LEADS_ONLY, title="Leads only", severity="warning")
            self.app.pop_screen()
            return
        self.queues.add_columns("Queue", "Active", "Wait", "Oldest", "Risk", "Late", "1h")
        self.agent_table.add_columns("Agent", "Status", "Load", "Current")
        self.tickets.now = self.desk.now()
        self.tickets.sla_policies = self.desk.store.policies
        self.refresh_board()
        self.set_interval(REFRESH_SECONDS, self.refresh_board)

    # -- the board -------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.refresh_board()

    @work(group="lead-board", exclusive=True)
    async def refresh_board(self) -> None:
        store, now = self.desk.store, self.desk.now()
        calendar = store.policies.calendar
        last_hour = Window(now - timedelta(hours=1), now)
        windows = [period_window(period, now, calendar) for period in KPI_PERIODS]
        try:
            snapshot = await store.metrics_snapshot([*windows, last_hour], now=now)
            clocks = await store.queue_clocks(now=now, horizons=risk_horizons(store.policies, now))
            departments = await store.departments()
            self.agents = await store.agents()
        except EXPECTED_ERRORS as error:
            # Once per outage, not with every tick of the timer; the title says it goes on.
            if not self._failing:
                self.desk.report_error(error, action="refresh the lead view")
            self._failing = True
            self.query_one("#lead-title", Static).update(
                f"Lead view · not refreshed since {self._refreshed_at}: {error}"
            )
            return
        self._failing = False
        self._refreshed_at = f"{now:%H:%M:%S %Z}".strip()
        names = {department.id: department.name for department in departments}
        periods = dict(zip(KPI_PERIODS, snapshot.tallies, strict=False))
        lines = queue_lines(names, snapshot.queues, clocks, snapshot.tallies[-1])
        self.board = Board(lines, snapshot, periods)
        self._show_alerts(now)
        self._refreshes += 1
        if self._refreshes % TREND_EVERY == 1:
            self.refresh_trend()
        self._show_queues()
        self._show_kpis()
        self.tickets.now = now
        self.tickets.sla_policies = store.policies  # the settings may have been reloaded
        self.query_one("#lead-title", Static).update(
            f"Lead view · {self.desk.agent.handle} · refreshed {self._refreshed_at}"
        )
        self.reload_list()
        if self.detail_id is not None:
            self.show_detail(self.detail_id)

    @work(group="lead-trend", exclusive=True)
    async def refresh_trend(self) -> None:
        """The sparkline's hours: a dozen windows, so read once a minute, not every tick."""
        now = self.desk.now()
        try:
            snapshot = await self.desk.store.metrics_snapshot(
                hourly_windows(now, SPARK_HOURS), now=now
            )
        except EXPECTED_ERRORS as error:
            self.desk.report_error(error, action="read the arrivals per hour")
            return
        self.hourly = list(snapshot.tallies)
        self._show_trend()

    def _show_queues(self) -> None:
        """Replace the queue lines in place; the cursor stays on the same queue."""
        assert self.board is not None
        table = self.queues
        table.clear()
        for line in self.board.lines:
            table.add_row(
                line.name,
                str(line.active),
                str(line.waiting),
                format_remaining(line.oldest_wait) if line.waiting else "—",
                str(line.at_risk),
                str(line.breached),
                str(line.arrivals_last_hour),
                key=line.department_id or "*",
            )
        keys = [line.department_id for line in self.board.lines]
        index = keys.index(self.queue) if self.queue in keys else 0
        self.queue = keys[index]
        table.move_cursor(row=index, animate=False)

    def _show_kpis(self) -> None:
        board = self.board
        if board is None:
            return
        queue = self.queue or None
        groups = board.periods.get(self.period, {})
        counted = by_queue(groups).get(queue, Tally()) if queue else total(groups.values())
        self.query_one("#lead-kpis", Static).update(kpi_strip(self.period, Kpis.of(counted)))
        self._show_trend()

    def _show_trend(self) -> None:
        spark = self.query_one("#lead-spark", Sparkline)
        spark.data = queue_series(self.hourly, self.queue or None, "arrivals")

    @on(DataTable.RowHighlighted, "#lead-queues")
    def _queue_highlighted(self) -> None:
        # The cursor, not the event: a refresh empties the table and puts the cursor back, and
        # the highlights that caused arrive after; by then the cursor is where it belongs.
        table = self.queues
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value or "*"
        queue = ALL_QUEUES if key == "*" else key
        if queue == self.queue:
            return  # a refresh putting the cursor back
        self.queue = queue
        self._show_kpis()
        self.reload_list(keep_cursor=False)

    def action_cycle_period(self) -> None:
        index = KPI_PERIODS.index(self.period)
        self.period = KPI_PERIODS[(index + 1) % len(KPI_PERIODS)]

    def watch_period(self) -> None:
        self._show_kpis()

    # -- alerts ----------------------------------------------------------------------------
    @property
    def alert_panel(self) -> AlertPanel:
        return self.query_one("#lead-alerts", AlertPanel)

    def _alerts_key(self) -> str:
        keys = self.desk.settings.keymap.get("lead.alerts", "w")
        return keys.split(",")[0].strip()

    def _show_alerts(self, now: datetime) -> None:
        """Raise the board's alerts on the strip, and tell the new or worse ones in a toast."""
        assert self.board is not None
        policy = self.desk.settings.lead_alerts  # read each time: a reload may change it
        found = evaluate(self.board.lines, self.agents, self.board.snapshot.loads, policy)
        throttle, notice = self.desk.lead_alert_throttle.review(found, now, policy.cooldown)
        self.desk.lead_alert_throttle = throttle
        self.alert_panel.show(found)
        if notice is not None:
            self.notify(notice.message, title=notice.title, severity=notice.severity)

    def action_toggle_alerts(self) -> None:
        panel = self.alert_panel
        panel.expanded = not panel.expanded
        if not panel.expanded and (self.focused is None or panel in self.focused.ancestors):
            self.queues.focus()

    @on(AlertPanel.AlertChosen)
    def _alert_chosen(self, event: AlertPanel.AlertChosen) -> None:
        self.action_toggle_alerts()
        self.go_to_alert(event.alert)

    @work(group="lead-alert-jump", exclusive=True)
    async def go_to_alert(self, alert: LeadAlert) -> None:
        """Show the alert's queue (its tickets), or its agent highlighted in the agent list."""
        if not alert.kind.about_agent:
            self._choose_queue(alert.subject)
            if self.showing_agents:
                self.showing_agents = False
            else:
                self.tickets.focus()
            return
        self._choose_queue(ALL_QUEUES)
        if not self.showing_agents:
            self.showing_agents = True
        loading = self.load_agents()  # replaces the load the list's watcher may have started
        try:
            await loading.wait()
        except (WorkerCancelled, WorkerFailed):
            return  # superseded by a refresh or another choice; the list is shown anyway
        table = self.agent_table
        try:
            table.move_cursor(row=table.get_row_index(alert.subject), animate=False)
        except RowDoesNotExist:
            return
        table.focus()

    def _choose_queue(self, queue: str) -> None:
        """Put the queue cursor on `queue` and show its KPIs and list (as highlighting does)."""
        table = self.queues
        try:
            index = table.get_row_index(queue or "*")
        except RowDoesNotExist:
            return
        self.queue = queue
        table.move_cursor(row=index, animate=False)
        self._show_kpis()
        self.reload_list(keep_cursor=False)

    # -- the right-hand list ---------------------------------------------------------------
    def queue_name(self) -> str:
        if self.board is None:
            return ""
        return next(
            (line.name for line in self.board.lines if line.department_id == self.queue), ""
        )

    def ticket_query(self) -> TicketQuery:
        if self.queue:
            departments: tuple[str, ...] = (self.queue,)
        else:
            departments = tuple(
                line.department_id
                for line in (self.board.lines if self.board else ())
                if line.department_id
            )
        return TicketQuery(scope=Scope.TEAM, agent_id=self.desk.agent.id, departments=departments)

    def reload_list(self, keep_cursor: bool = True) -> None:
        if self.showing_agents:
            self.load_agents()
        else:
            self.load_tickets(keep_cursor)

    @work(group="lead-list", exclusive=True)
    async def load_tickets(self, keep_cursor: bool = True) -> None:
        query = self.ticket_query()
        table = self.tickets
        keep = keep_cursor and query == self._shown_query
        anchor = table.cursor_row // PAGE_SIZE * PAGE_SIZE if keep else 0
        try:
            count = await self.desk.store.count_tickets(query)
            rows = await self.desk.store.ticket_rows(query, anchor, PAGE_SIZE)
        except EXPECTED_ERRORS as error:
            self.desk.report_error(error, action="load the queue's tickets")
            return
        if query != self.ticket_query():
            return  # another queue was chosen meanwhile; its own load is under way
        self._shown_query = query
        table.empty_message = "No active tickets in this queue"
        table.reset(count, rows=rows, rows_offset=anchor, keep_cursor=keep)
        noun = "ticket" if count == 1 else "tickets"
        self.query_one("#lead-list-title", Static).update(
            f"{self.queue_name()}: {count:,} active {noun}"
        )

    @on(TicketTable.PageNeeded, "#lead-tickets")
    def _page_needed(self, event: TicketTable.PageNeeded) -> None:
        self.load_page(event.generation, event.offset, event.limit)

    @work(group="lead-pages")
    async def load_page(self, generation: int, offset: int, limit: int) -> None:
        table, query = self.tickets, self._shown_query
        if query is None or not table.wants(generation, offset):
            table.forget_request(generation, offset)
            return
        try:
            rows = await self.desk.store.ticket_rows(query, offset, limit)
        except EXPECTED_ERRORS as error:
            table.forget_request(generation, offset)
            self.desk.report_error(error, action="load tickets")
            return
        table.add_page(generation, offset, rows)

    @work(group="lead-list", exclusive=True)
    async def load_agents(self) -> None:
        store = self.desk.store
        serving = [agent for agent in self.agents if serves(agent, self.queue)]
        loads = self.board.snapshot.loads if self.board else {}
        current: dict[str, int] = {}
        try:
            for agent in serving:
                if loads.get(agent.id):
                    mine = TicketQuery(scope=Scope.MINE, agent_id=agent.id)
                    rows = await store.ticket_rows(mine, 0, 1)
                    if rows:
                        current[agent.id] = rows[0].number
        except EXPECTED_ERRORS as error:
            self.desk.report_error(error, action="load the agents")
            return
        self.agent_lines = agent_lines(serving, loads, current)
        table = self.agent_table
        row = table.cursor_row
        table.clear()
        for line in self.agent_lines:
            table.add_row(
                f"{line.name} ({line.handle})",
                line.status,
                f"{line.load}/{line.capacity}",
                f"#{line.current_ticket}" if line.current_ticket else "—",
                key=line.agent_id,
            )
        if self.agent_lines:
            table.move_cursor(row=min(row, len(self.agent_lines) - 1), animate=False)
        self.query_one("#lead-list-title", Static).update(
            f"{self.queue_name()}: {len(self.agent_lines)} agents"
        )

    def action_toggle_list(self) -> None:
        self.showing_agents = not self.showing_agents

    def watch_showing_agents(self, agents: bool) -> None:
        self.tickets.display = not agents
        self.agent_table.display = agents
        (self.agent_table if agents else self.tickets).focus()
        self.reload_list(keep_cursor=False)
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#lead-agents")
    def _agent_selected(self, event: DataTable.RowSelected) -> None:
        from agentdesk.screens.skills import SkillsScreen

        if event.row_key.value:
            self.app.push_screen(SkillsScreen(event.row_key.value))

    @on(DataTable.RowSelected, "#lead-queues")
    def _queue_selected(self) -> None:
        (self.agent_table if self.showing_agents else self.tickets).focus()

    # -- the ticket beside the list --------------------------------------------------------
    @on(TicketTable.TicketSelected, "#lead-tickets")
    def _ticket_selected(self, event: TicketTable.TicketSelected) -> None:
        self.detail_id = event.row.id
        self.query_one("#lead-detail").add_class("-open")
        self.show_detail(event.row.id)

    @work(group="lead-detail", exclusive=True)
    async def show_detail(self, ticket_id: str) -> None:
        store = self.desk.store
        try:
            ticket = await store.ticket(ticket_id)
            messages = await store.messages(ticket_id)
            customer = await store.customer(ticket.customer_id)
        except EXPECTED_ERRORS as error:
            self.desk.report_error(error, action="open the ticket")
            return
        names = {agent.id: agent.name for agent in self.agents}
        assignee = names.get(ticket.assignee_id or "", "unassigned")
        self.query_one("#lead-detail-head", Static).update(
            f"#{ticket.number} {ticket.subject}\n"
            f"{customer.name} · {ticket.status.value} · {ticket.priority.value} · "
            f"{ticket.department_id} · {assignee}"
        )
        await self.query_one(Conversation).show(
            messages, customer_name=customer.name, agent_names=names
        )

    def action_close(self) -> None:
        if self.alert_panel.expanded:
            self.action_toggle_alerts()
            return
        detail = self.query_one("#lead-detail")
        if detail.has_class("-open"):
            detail.remove_class("-open")
            self.detail_id = None
            self.tickets.focus()
            return
        self.app.pop_screen()

    # -- actions on the highlighted ticket -------------------------------------------------
    def chosen_row(self) -> TicketRow | None:
        if self.showing_agents:
            return None
        return self.tickets.highlighted

    def action_open(self) -> None:
        if self.tickets.has_focus:
            self.tickets.action_select_cursor()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"open", "reassign", "priority", "transfer"}:
            return True if self.chosen_row() is not None else None
        return True

    @on(TicketTable.TicketHighlighted, "#lead-tickets")
    def _ticket_highlighted(self) -> None:
        self.refresh_bindings()

    def action_reassign(self) -> None:
        from agentdesk.screens.lead_dialogs import AgentPicker

        row = self.chosen_row()
        if row is None:
            return
        loads = self.board.snapshot.loads if self.board else {}
        candidates = [agent for agent in self.agents if serves(agent, row.department_id)]
        skill = self.desk.store.routing_policy.routes.get(row.intent)
        picker = AgentPicker(row, candidates, loads, skill.skill if skill else None)
        self.app.push_screen(picker, self._changed)

    def action_priority(self) -> None:
        from agentdesk.screens.lead_dialogs import PriorityPicker

        row = self.chosen_row()
        if row is not None:
            self.app.push_screen(PriorityPicker(row), self._changed)

    def action_transfer(self) -> None:
        row = self.chosen_row()
        if row is not None:
            self.open_transfer(row.id)

    @work(group="lead-transfer", exclusive=True)
    async def open_transfer(self, ticket_id: str) -> None:
        from agentdesk.screens.transfer import TransferDialog

        try:
            ticket = await self.desk.store.ticket(ticket_id)
        except EXPECTED_ERRORS as error:
            self.desk.report_error(error, action="transfer the ticket")
            return
        self.app.push_screen(TransferDialog(ticket), self._changed)

    def _changed(self, result: object) -> None:
        """After one of the lead's own actions: read the board and the ticket again."""
        if result is not None:
            self.refresh_board()  # the ticket beside the list, too

    # -- export ----------------------------------------------------------------------------
    def action_export(self) -> None:
        if self.queues.has_focus:
            self.export("queues")
        else:
            self.export("agents" if self.showing_agents else "tickets")

    @work(group="lead-export")
    async def export(self, kind: str) -> None:
        now = self.desk.now()
        path = Path(self.desk.settings.data_dir) / export_name(kind, now)
        try:
            if kind == "queues":
                lines = self.board.lines if self.board else []
                text = csv_text(QUEUE_HEADER, (queue_record(line) for line in lines))
            elif kind == "agents":
                text = csv_text(AGENT_HEADER, (agent_record(line) for line in self.agent_lines))
            else:
                rows = await self._all_rows()
                text = csv_text(TICKET_HEADER, (ticket_record(row) for row in rows))
            await asyncio.to_thread(_write, path, text)
        except EXPECTED_ERRORS as error:
            self.desk.report_error(error, action=f"export the {kind}")
            return
        except OSError as error:
            self.notify(str(error), title=f"Could not export the {kind}", severity="error")
            return
        self.notify(str(path), title=f"Exported the {kind}")

    async def _all_rows(self) -> Sequence[TicketRow]:
        query = self._shown_query or self.ticket_query()
        found: list[TicketRow] = []
        while True:
            page = await self.desk.store.ticket_rows(query, len(found), EXPORT_PAGE)
            found.extend(page)
            if len(page) < EXPORT_PAGE:
                return found


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

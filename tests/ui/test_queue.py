"""The queue screen over the seeded store, and the windowed table on its own."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from textual import events
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input

from agentdesk.domain.model import Channel, CustomerTier, Priority, TicketRow, TicketStatus
from agentdesk.screens import queue as queue_module
from agentdesk.screens.queue import Preview, QueueScreen
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.errors import Unavailable
from agentdesk.store.memory import MemoryStore
from agentdesk.widgets.status_bar import StatusBar
from agentdesk.widgets.ticket_table import (
    COLUMNS,
    MAX_CACHED_PAGES,
    MAX_CACHED_STRIPS,
    PAGE_SIZE,
    TicketTable,
    column_widths,
    row_cells,
)
from tests.fixtures import NOW
from tests.ui.conftest import Notes, OpenedTickets, build_app, settle


def queue_of(app: App[None]) -> QueueScreen:
    assert isinstance(app.screen, QueueScreen)
    return app.screen


def numbers_shown(queue: QueueScreen) -> list[int]:
    table = queue.table
    return [row.number for i in range(table.row_count) if (row := table.row_at(i))]


# -- loading and navigation ----------------------------------------------------------------


async def test_team_queue_loads_in_pull_order(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        assert queue.scope is Scope.TEAM
        assert numbers_shown(queue) == [1, 4, 2, 6, 3, 5]
        assert not queue.table.loading
        status = queue.query_one(StatusBar)
        assert status.agent == "junior (agent)"
        assert status.store == "memory :memory:"
        assert status.sync_text == "local only"
        assert status.counts == "6 tickets (team)"
        assert status.clock == "09:00 UTC"
        assert app.focused is queue.table


async def test_table_has_focus_after_a_slow_first_load(tmp_path: Path) -> None:
    release = asyncio.Event()

    class SlowStore(MemoryStore):
        async def count_tickets(self, query: TicketQuery) -> int:
            await release.wait()
            return await super().count_tickets(query)

    app = build_app(tmp_path, store=SlowStore())
    async with app.run_test() as pilot:
        for _ in range(3):
            await pilot.pause()
        queue = queue_of(app)
        assert queue.table.loading
        release.set()
        await settle(pilot)
        assert not queue.table.loading
        assert app.focused is queue.table
        await pilot.press("down")
        assert queue.table.cursor_row == 1


async def test_cursor_keys_move_the_highlight_and_preview(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        await pilot.press("down", "j")
        await pilot.pause()
        assert queue.table.cursor_row == 2
        assert "Where is my order?" in queue.query_one(Preview).text
        await pilot.press("end")
        assert queue.table.cursor_row == 5
        await pilot.press("down")
        assert queue.table.cursor_row == 5
        await pilot.press("pageup")
        assert queue.table.cursor_row == 0
        await pilot.press("pagedown", "home", "k")
        assert queue.table.cursor_row == 0


async def test_enter_opens_the_highlighted_ticket(tmp_path: Path, store: MemoryStore) -> None:
    app = build_app(tmp_path, store=store)
    opened = OpenedTickets(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        assert opened.ids == [(await store.ticket_by_number(4)).id]


# -- filter and scope ----------------------------------------------------------------------


async def test_filter_recounts_and_escape_clears(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        await pilot.press("down")
        await pilot.press("slash")
        field = queue.query_one("#queue-filter", Input)
        assert field.has_focus
        field.value = "order"  # typing costs time; submitting is what we test
        await pilot.press("enter")
        await settle(pilot)
        assert numbers_shown(queue) == [2]
        assert queue.table.cursor_row == 0
        assert queue.table.has_focus
        assert "matching 'order'" in queue.query_one(StatusBar).counts
        await pilot.press("escape")
        await settle(pilot)
        assert queue.filter_text == ""
        assert queue.table.row_count == 6


async def test_keys_typed_fast_after_slash_go_to_the_filter(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    opened = OpenedTickets(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        # A burst, as a fast typist or a paste delivers it: no pause between the keys.
        assert app._driver is not None
        for key, character in [("slash", "/"), *[(c, c) for c in "refund"], ("enter", None)]:
            event = events.Key(key, character)
            event.set_sender(app)
            app._driver.send_message(event)
        await settle(pilot)
        assert opened.ids == []  # the `n` of "refund" did not pull a ticket
        assert queue.filter_text == "refund"
        assert numbers_shown(queue) == [1]


async def test_escape_in_the_filter_box_leaves_without_applying(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        await pilot.press("slash", "x", "escape")
        await settle(pilot)
        assert queue.table.has_focus
        assert queue.query_one("#queue-filter", Input).value == ""
        assert queue.table.row_count == 6


async def test_filter_by_number_and_no_match_message(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        await pilot.press("slash")
        queue.query_one("#queue-filter", Input).value = "#3"
        await pilot.press("enter")
        await settle(pilot)
        assert numbers_shown(queue) == [3]
        await pilot.press("slash")
        queue.query_one("#queue-filter", Input).value = "zebra"
        await pilot.press("enter")
        await settle(pilot)
        assert queue.table.row_count == 0
        assert queue.table.empty_message == "No tickets match 'zebra'"
        assert queue.check_action("open", ()) is None  # nothing to open: shown disabled


async def test_mine_and_team_toggle(tmp_path: Path, store: MemoryStore) -> None:
    app = build_app(tmp_path, store=store)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        ticket = await store.ticket_by_number(3)
        await store.assign(ticket.id, "ag-junior", actor_id="ag-lead", now=NOW)
        await pilot.press("t")
        await settle(pilot)
        assert queue.scope is Scope.MINE
        assert numbers_shown(queue) == [3]
        assert queue.query_one(StatusBar).counts == "1 ticket (mine)"
        await pilot.press("t")
        await settle(pilot)
        assert queue.scope is Scope.TEAM
        assert queue.table.row_count == 6


async def test_team_scope_limits_to_the_agents_departments(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        app.agent = replace(app.agent, departments=("billing",))
        assert queue.current_query() == TicketQuery(
            scope=Scope.TEAM, agent_id="ag-junior", departments=("billing",)
        )
        queue.reload()
        await settle(pilot)
        assert numbers_shown(queue) == [1, 5]


# -- pull next and refresh -----------------------------------------------------------------


async def test_pull_next_assigns_notifies_and_opens(tmp_path: Path, store: MemoryStore) -> None:
    app = build_app(tmp_path, store=store)
    opened = OpenedTickets(app)
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        # junior holds the "orders" skill: the most urgent ticket they may take is #2.
        pulled = await store.ticket_by_number(2)
        assert pulled.assignee_id == "ag-junior"
        assert opened.ids == [pulled.id]
        assert notes.matching("#2 Where is my order?")
        await pilot.press("t")
        await settle(pilot)
        assert numbers_shown(queue_of(app)) == [2]


async def test_pull_next_with_nothing_left_says_so(tmp_path: Path, store: MemoryStore) -> None:
    app = build_app(tmp_path, store=store)
    opened = OpenedTickets(app)
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        for _ in range(4):
            await pilot.press("n")
            await settle(pilot)
        # #2 (orders), #3 (accounts), #5 (no skill needed); #1 and #4 need other skills, and
        # #1 and #6 are a VIP's, for seniors.
        assert len(opened.ids) == 3
        assert notes.matching("Nothing to pull")


async def test_queue_refreshes_when_coming_back(tmp_path: Path, store: MemoryStore) -> None:
    app = build_app(tmp_path, store=store)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        await pilot.press("t")
        await settle(pilot)
        assert queue.table.row_count == 0
        await app.push_screen(Screen())
        ticket = await store.ticket_by_number(5)
        await store.assign(ticket.id, "ag-junior", actor_id="ag-lead", now=NOW)
        app.pop_screen()
        await settle(pilot)
        assert numbers_shown(queue) == [5]


async def test_store_errors_are_reported_not_fatal(tmp_path: Path) -> None:
    class FlakyStore(MemoryStore):
        failing = False

        async def count_tickets(self, query: TicketQuery) -> int:
            if self.failing:
                raise Unavailable("the database went away")
            return await super().count_tickets(query)

    store = FlakyStore()
    app = build_app(tmp_path, store=store)
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        store.failing = True
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert notes.matching("the database went away")
        assert queue_of(app).table.row_count == 6  # what was shown stays


async def test_clock_repaint_moves_sla_countdowns(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        app._clock = lambda: NOW + timedelta(minutes=5)
        queue._repaint_clocks()
        assert queue.table.now == NOW + timedelta(minutes=5)
        assert queue.query_one(StatusBar).clock == "09:05 UTC"


# -- the table on its own ------------------------------------------------------------------


def fake_row(index: int) -> TicketRow:
    created = NOW - timedelta(minutes=index % 500)
    return TicketRow(
        id=f"t{index}",
        number=index + 1,
        subject=f"Ticket {index + 1}",
        status=TicketStatus.NEW,
        priority=Priority.NORMAL,
        channel=Channel.EMAIL,
        intent="track_order",
        customer_name=f"Customer {index}",
        customer_tier=CustomerTier.STANDARD,
        department_id="general",
        assignee_id=None,
        created_at=created,
        first_response_due=created + timedelta(hours=4),
        resolution_due=created + timedelta(hours=24),
        first_response_at=None,
    )


class TableHarness(App[None]):
    """A fake page source: answers page requests from generated rows, no store."""

    def __init__(self, total: int, *, answer: bool = True) -> None:
        super().__init__()
        self.total = total
        self.answer = answer
        self.requests: list[tuple[int, int]] = []

    def compose(self) -> ComposeResult:
        yield TicketTable()

    def on_mount(self) -> None:
        table = self.query_one(TicketTable)
        table.now = NOW
        table.reset(self.total)
        table.focus()

    def on_ticket_table_page_needed(self, event: TicketTable.PageNeeded) -> None:
        self.requests.append((event.offset, event.limit))
        if self.answer:
            rows = [fake_row(i) for i in range(event.offset, event.offset + event.limit)]
            event.table.add_page(event.generation, event.offset, rows)


async def test_table_with_100k_rows_moves_without_loading_them_all() -> None:
    app = TableHarness(100_000)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        assert table.row_count == 100_000
        assert table.highlighted == fake_row(0)
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99_999
        assert table.highlighted == fake_row(99_999)
        assert table.scroll_offset.y == 100_000 - (table.size.height - 1)
        await pilot.press("pageup", "up", "home", "pagedown", "down")
        await pilot.pause()
        assert table.cursor_row == table.size.height - 1 + 1
        # Only pages around where the cursor went were asked for, and the cache is bounded.
        asked = {offset for offset, _ in app.requests}
        assert len(asked) == len(app.requests)  # never the same page twice
        assert len(asked) <= 6
        assert table.loaded_row_count <= MAX_CACHED_PAGES * PAGE_SIZE
        assert all(limit <= PAGE_SIZE for _, limit in app.requests)


async def test_table_cursor_never_waits_for_rows() -> None:
    app = TableHarness(100_000, answer=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        await pilot.press("pagedown", "pagedown", "down")
        assert table.cursor_row == 2 * (table.size.height - 1) + 1
        assert table.highlighted is None  # a placeholder until its page lands
        assert table.loaded_row_count == 0
        line = "".join(segment.text for segment in table.render_line(2))
        assert "·" in line
        # A page answered after a reset is stale and dropped.
        old = table.generation
        table.reset(10)
        table.add_page(old, 0, [fake_row(0)])
        assert table.loaded_row_count == 0


async def test_table_cache_stays_bounded_while_paging_far() -> None:
    app = TableHarness(100_000)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        for index in range(0, 100_000, 3_000):
            table.move_cursor(index)
            await pilot.pause()
        assert table.loaded_row_count <= MAX_CACHED_PAGES * PAGE_SIZE
        assert table.highlighted == fake_row(table.cursor_row)


class BigStore(MemoryStore):
    """The seeded store, but every queue holds 100,000 generated rows; reads are recorded."""

    def __init__(self) -> None:
        super().__init__(client_id="test-client")
        self.reads: list[int] = []

    async def count_tickets(self, query: TicketQuery) -> int:
        return 100_000

    async def ticket_rows(self, query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
        self.reads.append(offset)
        return [fake_row(i) for i in range(offset, min(offset + limit, 100_000))]


async def test_queue_skips_pages_the_user_scrolled_past(tmp_path: Path) -> None:
    store = BigStore()
    app = build_app(tmp_path, store=store)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        queue = queue_of(app)
        assert queue.query_one(StatusBar).counts == "100,000 tickets (team)"
        store.reads.clear()
        for index in range(0, 100_000, 2_500):  # a fast fling: 40 windows asked for at once
            queue.table.move_cursor(index)
        await settle(pilot)
        assert queue.table.cursor_row == 97_500
        assert queue.table.highlighted == fake_row(97_500)
        assert set(store.reads) <= {97_400, 97_500}, store.reads


def test_columns_fill_the_width() -> None:
    for width in (80, 120, 200):
        widths = column_widths(width)
        assert len(widths) == len(COLUMNS)
        assert sum(widths) + len(COLUMNS) + 1 <= width


def test_row_cells_colour_sla_by_state() -> None:
    row = fake_row(0)  # first response due in 4h
    ok = row_cells(row, NOW)
    assert ok[2].text == "4h00m"
    assert ok[2].component == "ticket-table--sla-ok"
    warning = row_cells(row, NOW + timedelta(hours=3, minutes=30))
    assert warning[2].component == "ticket-table--sla-warning"
    breached = row_cells(row, NOW + timedelta(hours=5))
    assert breached[2].text == "-1h00m"
    assert breached[2].component == "ticket-table--sla-breached"
    vip = row_cells(replace(row, customer_tier=CustomerTier.VIP), NOW)
    assert vip[4].text.startswith("★ ")
    assert vip[4].component == "ticket-table--vip"
    closed = row_cells(replace(row, status=TicketStatus.CLOSED), NOW)
    assert closed[2].text == "—"


# -- painting cost: what a keypress repaints -----------------------------------------------


class RenderCounts:
    """What `table` asks Textual to repaint (`refreshed`: the regions, none for all of it),
    and the rows it renders afresh, inside a frame (`rows`) or ahead of need (`ahead`)."""

    def __init__(self, table: TicketTable) -> None:
        self.refreshed: list[tuple[Region, ...]] = []
        self.rows: list[tuple[int, bool]] = []  # (row index, is the cursor on it)
        self.ahead: list[int] = []
        refresh, render_line, render_row = table.refresh, table.render_line, table._render_row
        painting = False

        def counting_refresh(*regions: Region, **options: Any) -> TicketTable:
            self.refreshed.append(regions)
            return refresh(*regions, **options)

        def counting_line(y: int) -> Strip:
            nonlocal painting
            painting = True
            try:
                return render_line(y)
            finally:
                painting = False

        def counting_row(index: int, y: int, paint: Any) -> Strip:
            if painting:
                self.rows.append((index, index == table.cursor_row))
            else:
                self.ahead.append(index)
            return render_row(index, y, paint)

        table.refresh = counting_refresh  # type: ignore[method-assign]
        table.render_line = counting_line  # type: ignore[method-assign]
        table._render_row = counting_row  # type: ignore[method-assign]

    def repainted_lines(self, table: TicketTable) -> set[int]:
        """The lines of `table` asked to be repainted."""
        whole = (table.size.region,)
        return {
            y
            for regions in self.refreshed
            for region in regions or whole
            for y in region.line_range
        }

    def clear(self) -> None:
        self.refreshed.clear()
        self.rows.clear()
        self.ahead.clear()


async def test_a_cursor_move_renders_only_the_lines_that_changed() -> None:
    app = TableHarness(100_000)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        counts = RenderCounts(table)
        await pilot.press("down")
        await pilot.pause()
        assert counts.repainted_lines(table) == {1, 2}  # the rows the cursor left and reached
        assert sorted(counts.rows) == [(0, False), (1, True)]
        # At the bottom edge the view scrolls by one: the whole table is repainted, but only
        # the row coming into view is rendered; the others (the one the cursor left
        # included) were rendered before.
        table.move_cursor(table.size.height - 2)
        await pilot.pause()
        counts.clear()
        await pilot.press("down")
        await pilot.pause()
        assert table.scroll_offset.y == 1
        assert counts.repainted_lines(table) == set(range(table.size.height))
        assert counts.rows == [(table.cursor_row, True)]


async def test_page_down_finds_the_next_screen_already_rendered() -> None:
    app = TableHarness(100_000)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        counts = RenderCounts(table)
        for _ in range(3):
            counts.clear()
            await pilot.press("pagedown")
            await pilot.pause()
            # Rendered between keys, after the previous frame: only the cursor's line is new.
            assert counts.rows == [(table.cursor_row, True)]
            top, visible = table.scroll_offset.y, table.size.height - 1
            assert counts.ahead  # and the screen below is ready for the next one
            assert all((i, False) in table._strips for i in range(top + visible, top + 2 * visible))
        assert len(table._strips) <= MAX_CACHED_STRIPS


async def test_kept_lines_follow_focus_time_and_data() -> None:
    app = TableHarness(100_000, answer=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)

        def line(y: int) -> Strip:
            return table.render_line(y)

        def text(y: int) -> str:
            return "".join(segment.text for segment in line(y))

        assert "·" in text(1)  # no page yet
        table.add_page(table.generation, 0, [fake_row(i) for i in range(PAGE_SIZE)])
        await pilot.pause()
        assert "#1 " in text(1) and "4h00m" in text(1)
        table.now = NOW + timedelta(hours=1)
        await pilot.pause()
        assert "3h00m" in text(1)
        focused_style = line(1)._segments[1].style
        table.blur()
        await pilot.pause()
        assert line(1)._segments[1].style != focused_style  # the blurred cursor colours
        table.focus()
        await pilot.pause()
        assert line(1)._segments[1].style == focused_style
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert line(1).cell_length == table.scrollable_content_region.width < 120


@pytest.mark.parametrize(("total", "repaints"), [(100_000, False), (40, True)])
async def test_scrollbar_repaints_only_when_its_thumb_moves(total: int, repaints: bool) -> None:
    app = TableHarness(total)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        bar = table.vertical_scrollbar
        rendered: list[float] = []
        render = bar.render

        def counting() -> Any:
            rendered.append(bar.position)
            return render()

        bar.render = counting  # type: ignore[method-assign]
        table.move_cursor(table.size.height - 1)  # scrolls by one row
        await pilot.pause()
        assert table.scroll_offset.y == 1
        assert bar.position == 1  # exact, for dragging
        assert bool(rendered) is repaints


async def test_full_collections_wait_for_the_minute_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    thresholds: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "set_threshold", lambda *values: thresholds.append(values))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "collect", lambda *generation: calls.append("collect") or 0)
    monkeypatch.setattr(queue_module, "GC_SETTLE_SECONDS", 0.01)
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = queue_of(app)
        assert thresholds == [] and calls == []  # never in a headless run (tests share a process)
        queue._defer_full_collections()
        young, middle, _ = gc.get_threshold()
        assert thresholds == [(young, middle, queue_module.NO_AUTOMATIC_FULL_COLLECTION)]
        await pilot.pause(0.05)
        assert calls == ["freeze"]
        queue._minute_tick()
        assert calls == ["freeze", "collect"]


async def test_page_reads_start_after_the_paint_that_asked_for_them(tmp_path: Path) -> None:
    store = BigStore()
    app = build_app(tmp_path, store=store)
    async with app.run_test(size=(120, 32)) as pilot:
        await settle(pilot)
        table = queue_of(app).table
        events: list[str] = []
        render_lines, ticket_rows = table.render_lines, store.ticket_rows

        def painting(crop: Region) -> list[Strip]:
            events.append("paint")
            return render_lines(crop)

        async def reading(query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
            events.append("read")
            return await ticket_rows(query, offset, limit)

        table.render_lines = painting  # type: ignore[method-assign]
        store.ticket_rows = reading  # type: ignore[method-assign]
        table.move_cursor(50_000)
        await settle(pilot)
        assert "read" in events
        assert events.index("paint") < events.index("read")


@pytest.mark.parametrize("width", [40, 80, 130])
async def test_rows_fill_the_line_at_any_width(width: int) -> None:
    app = TableHarness(1_000)
    async with app.run_test(size=(width, 20)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        for y in (0, 1, 2):  # the header, the cursor row, a row
            text = "".join(segment.text for segment in table.render_line(y))
            assert len(text) == table.scrollable_content_region.width, text


def cells(strip: Strip) -> list[tuple[str, Style | None]]:
    return [(character, segment.style) for segment in strip for character in segment.text]


@pytest.mark.parametrize("focused", [True, False])
async def test_table_lines_match_textuals_own_styling_pass(focused: bool) -> None:
    app = TableHarness(1_000)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        table.move_cursor(3)
        if not focused:
            table.blur()
        await pilot.pause()
        crops = [table.size.region, Region(5, 2, 40, 6)]
        for crop in crops:
            ours = table.render_lines(crop)
            table._styles_cache.clear()
            textuals = ScrollView.render_lines(table, crop)
            assert [cells(line) for line in ours] == [cells(line) for line in textuals]


class BoxedTable(TableHarness):
    CSS = "TicketTable { border: round $accent; padding: 0 1; }"


async def test_a_table_with_a_border_and_padding_still_paints_its_rows() -> None:
    app = BoxedTable(1_000)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(TicketTable)
        lines = [
            "".join(s.text for s in line) for line in table.render_lines(table.region.reset_offset)
        ]
        assert lines[0].startswith("╭")
        assert "#1 " in lines[2] and lines[2].startswith("│ ")

"""A virtual ticket table: it paints only the visible lines and asks for rows a page at a time.

A queue may hold 100,000 tickets, so the table never holds them all: it knows the row count
(which sizes the scrollbar), keeps a bounded cache of pages, and posts `PageNeeded` for pages
around the viewport and the cursor. Whoever owns the data answers with `add_page`. Cursor
movement never waits: rows not loaded yet are painted as placeholders until their page lands.

Painting is cheap because each row's line is rendered once and kept (see `_strips`): a cursor
move repaints only the two lines that changed, a scroll reuses every line still on screen, and
the rows a page up or down would show are rendered between keys. Kept lines reach the screen
as the same objects, so the caches Textual keeps on each line (filters, cuts) hold as well.

Data in (`reset`, `add_page`, `now`, `sla_policies`), messages out (`PageNeeded`,
`TicketHighlighted`, `TicketSelected`); this module never imports the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from math import ceil

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.color import Color
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from agentdesk.domain.model import CustomerTier, Priority, TicketRow, TicketStatus
from agentdesk.domain.sla import DEFAULT_SLA, SlaPolicies, SlaState, format_remaining, row_clock
from agentdesk.keymap import bind

PAGE_SIZE = 100
# Enough pages for several screens either side of the cursor, small enough to stay cheap.
MAX_CACHED_PAGES = 24
# Rendered lines kept: several screens' worth; past this, those far from the view are dropped.
MAX_CACHED_STRIPS = 400

STATUS_LABELS = {
    TicketStatus.NEW: "new",
    TicketStatus.OPEN: "open",
    TicketStatus.PENDING: "pending",
    TicketStatus.AWAITING_CONFIRMATION: "awaiting",
    TicketStatus.CLOSED: "closed",
}
VIP_MARK = "★ "


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: int  # 0: shares the space left over by the fixed columns
    right: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("#", 7, right=True),
    Column("Priority", 8),
    Column("SLA", 7, right=True),
    Column("Intent", 0),
    Column("Customer", 0),
    Column("Channel", 7),
    Column("Status", 8),
    Column("Age", 6, right=True),
)
_FLEX_SHARE = {"Intent": 0.55, "Customer": 0.45}


def column_widths(width: int) -> list[int]:
    """Widths of COLUMNS for a table `width` cells wide (one space around each column)."""
    fixed = sum(column.width for column in COLUMNS)
    spare = max(0, width - fixed - (len(COLUMNS) + 1))
    widths: list[int] = []
    for column in COLUMNS:
        if column.width:
            widths.append(column.width)
        else:
            widths.append(max(4, int(spare * _FLEX_SHARE[column.title])))
    return widths


@lru_cache(maxsize=8)
def _column_widths(width: int) -> tuple[int, ...]:
    return tuple(column_widths(width))


def _fit(text: str, width: int, right: bool = False) -> str:
    """Pad or cut `text` to exactly `width` cells, marking a cut with an ellipsis."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, max(0, width - 1)) + "…" if width > 0 else ""
    padding = " " * (width - length)
    return padding + text if right else text + padding


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    component: str | None = None  # a component class name, styled by the app's theme


def row_cells(row: TicketRow, now: datetime, policies: SlaPolicies = DEFAULT_SLA) -> list[Cell]:
    """What each column shows for `row` at `now`, with the component class that colours it."""
    clock = row_clock(row, now, policies)
    if clock is None:
        sla = Cell("—", "ticket-table--muted")
    elif clock.state is SlaState.PAUSED:
        sla = Cell("paused", "ticket-table--sla-paused")
    else:
        sla = Cell(format_remaining(clock.remaining), f"ticket-table--sla-{clock.state.value}")
    priority_component = {
        Priority.URGENT: "ticket-table--priority-urgent",
        Priority.HIGH: "ticket-table--priority-high",
    }.get(row.priority)
    vip = row.customer_tier is CustomerTier.VIP
    return [
        Cell(f"#{row.number}"),
        Cell(row.priority.value, priority_component),
        sla,
        Cell(row.intent.replace("_", " ")),
        Cell(
            f"{VIP_MARK}{row.customer_name}" if vip else row.customer_name,
            "ticket-table--vip" if vip else None,
        ),
        Cell(row.channel.value),
        Cell(STATUS_LABELS[row.status]),
        Cell(format_remaining(now - row.created_at), "ticket-table--muted"),
    ]


class TicketTable(ScrollView, can_focus=True):
    """Rows of a ticket queue, windowed: see the module docstring for the protocol."""

    BINDINGS = [
        bind(
            "table.cursor_up", "up,k", "cursor_up", "Up", "Highlight the ticket above", show=False
        ),
        bind(
            "table.cursor_down",
            "down,j",
            "cursor_down",
            "Down",
            "Highlight the ticket below",
            show=False,
        ),
        bind("table.page_up", "pageup", "page_up", "Page up", "Move up one screen", show=False),
        bind(
            "table.page_down",
            "pagedown",
            "page_down",
            "Page down",
            "Move down one screen",
            show=False,
        ),
        bind("table.first", "home", "first", "First", "Jump to the first ticket", show=False),
        bind("table.last", "end", "last", "Last", "Jump to the last ticket", show=False),
    ]

    COMPONENT_CLASSES = {
        "ticket-table--header",
        "ticket-table--cursor",
        "ticket-table--placeholder",
        "ticket-table--muted",
        "ticket-table--sla-ok",
        "ticket-table--sla-warning",
        "ticket-table--sla-breached",
        "ticket-table--sla-paused",
        "ticket-table--priority-urgent",
        "ticket-table--priority-high",
        "ticket-table--vip",
    }

    # Only standard design variables here so the widget works in any app; agentdesk's
    # stylesheet maps these components onto its theme variables ($sla-breached, ...).
    DEFAULT_CSS = """
    TicketTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .ticket-table--header { background: $panel; color: $foreground; text-style: bold; }
        & > .ticket-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .ticket-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .ticket-table--placeholder { color: $text-disabled; }
        & > .ticket-table--muted { color: $text-muted; }
        & > .ticket-table--sla-ok { color: $success; }
        & > .ticket-table--sla-warning { color: $warning; }
        & > .ticket-table--sla-breached { color: $error; text-style: bold; }
        & > .ticket-table--sla-paused { color: $text-muted; text-style: italic; }
        & > .ticket-table--priority-urgent { color: $error; text-style: bold; }
        & > .ticket-table--priority-high { color: $warning; }
        & > .ticket-table--vip { color: $accent; }
    }
    """

    class PageNeeded(Message):
        """Rows `offset`..`offset + limit` are needed; answer with `add_page(generation, ...)`."""

        def __init__(self, table: TicketTable, generation: int, offset: int, limit: int) -> None:
            super().__init__()
            self.table = table
            self.generation = generation
            self.offset = offset
            self.limit = limit

        @property
        def control(self) -> TicketTable:
            return self.table

    class TicketHighlighted(Message):
        """The cursor moved to `index`; `row` is None while that row's page is loading."""

        def __init__(self, table: TicketTable, index: int, row: TicketRow | None) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> TicketTable:
            return self.table

    class TicketSelected(Message):
        """The user chose the ticket at `index` (enter or double click)."""

        def __init__(self, table: TicketTable, index: int, row: TicketRow) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.row = row

        @property
        def control(self) -> TicketTable:
            return self.table

    def __init__(
        self,
        *,
        empty_message: str = "No tickets",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._empty_message = empty_message
        self._now = datetime.now(UTC)
        self._sla_policies = DEFAULT_SLA
        self._row_count = 0
        self._cursor = 0
        self._generation = 0
        self._pages: dict[int, list[TicketRow]] = {}
        self._requested: set[int] = set()
        self._colour_cache: dict[tuple[str, Color], Style] = {}
        # Rendered lines by (row index or -1 for the header, is the cursor on it), valid for
        # `_strips_context`: the width and styles they were painted with.
        self._strips: dict[tuple[int, bool], Strip] = {}
        self._strips_context: _PaintContext | None = None
        self._paint: _PaintContext | None = None
        self._prerender_due = False

    # -- data in ---------------------------------------------------------------------------
    @property
    def empty_message(self) -> str:
        """What an empty table says (e.g. that a filter matched nothing)."""
        return self._empty_message

    @empty_message.setter
    def empty_message(self, value: str) -> None:
        self._empty_message = value
        self._strips.clear()
        self.refresh()

    @property
    def now(self) -> datetime:
        return self._now

    @now.setter
    def now(self, value: datetime) -> None:
        """The time SLA countdowns and ages are measured against; repaints the rows."""
        self._now = value
        self._strips.clear()
        self.refresh()

    @property
    def sla_policies(self) -> SlaPolicies:
        return self._sla_policies

    @sla_policies.setter
    def sla_policies(self, value: SlaPolicies) -> None:
        """The targets and calendar the SLA column's warnings are measured on."""
        self._sla_policies = value
        self._strips.clear()
        self.refresh()

    @property
    def generation(self) -> int:
        """Bumped by every `reset`; pages answered for an older generation are dropped."""
        return self._generation

    @property
    def row_count(self) -> int:
        return self._row_count

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def loaded_row_count(self) -> int:
        return sum(len(rows) for rows in self._pages.values())

    @property
    def highlighted(self) -> TicketRow | None:
        return self.row_at(self._cursor)

    def row_at(self, index: int) -> TicketRow | None:
        page = self._pages.get(index // PAGE_SIZE)
        if page is None:
            return None
        position = index % PAGE_SIZE
        return page[position] if position < len(page) else None

    def reset(
        self,
        row_count: int,
        *,
        rows: Sequence[TicketRow] = (),
        rows_offset: int = 0,
        keep_cursor: bool = False,
    ) -> int:
        """Start over with a new result of `row_count` rows; returns the new generation.

        `rows` (one page from `rows_offset`, a multiple of PAGE_SIZE) saves a round trip for
        the first screen. With `keep_cursor` the cursor and scroll position survive (a refresh
        of the same queue).
        """
        self._generation += 1
        self._row_count = max(0, row_count)
        self._pages.clear()
        self._requested.clear()
        self._strips.clear()
        if rows:
            self._pages[rows_offset // PAGE_SIZE] = list(rows[:PAGE_SIZE])
        cursor = min(self._cursor, self._row_count - 1) if keep_cursor else 0
        self._cursor = max(0, cursor)
        self.virtual_size = Size(self.scrollable_content_region.width, self._row_count + 1)
        if not keep_cursor:
            self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self._request_window()
        self._post_highlighted()
        return self._generation

    def add_page(self, generation: int, offset: int, rows: Sequence[TicketRow]) -> None:
        """Rows answering a `PageNeeded`; ignored if the table was reset since."""
        if generation != self._generation:
            return
        page = offset // PAGE_SIZE
        self._requested.discard(page)
        self._pages[page] = list(rows)
        self._evict_far_pages()
        first, end = page * PAGE_SIZE, page * PAGE_SIZE + PAGE_SIZE
        for key in [key for key in self._strips if first <= key[0] < end]:
            del self._strips[key]  # placeholders painted while the page was on its way
        self._refresh_rows(first, end)
        if self._cursor // PAGE_SIZE == page:
            self._post_highlighted()

    def wants(self, generation: int, offset: int) -> bool:
        """Is the page at `offset` still worth loading (current result, near the viewport)?"""
        return generation == self._generation and offset // PAGE_SIZE in self._window()

    def forget_request(self, generation: int, offset: int) -> None:
        """A page request failed or was cancelled: allow asking for it again."""
        if generation == self._generation:
            self._requested.discard(offset // PAGE_SIZE)

    # -- cursor ----------------------------------------------------------------------------
    @property
    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # minus the header line

    def move_cursor(self, index: int) -> None:
        if self._row_count == 0:
            return
        index = max(0, min(index, self._row_count - 1))
        if index == self._cursor:
            return
        previous, self._cursor = self._cursor, index
        top = self.scroll_offset.y
        self._scroll_cursor_into_view()
        if self.scroll_offset.y == top:
            # No scroll: only the two lines whose highlight changed (a scroll repaints all).
            self._refresh_rows(previous, previous + 1)
            self._refresh_rows(index, index + 1)
        self._request_window()
        self._post_highlighted()

    def _refresh_rows(self, first: int, end: int) -> None:
        """Repaint the visible lines of rows `first`..`end` (exclusive), if any are visible."""
        top = self.scroll_offset.y
        first, end = max(first, top), min(end, top + self._visible_rows)
        if first < end:
            width = max(self.virtual_size.width, self.size.width)
            self.refresh(Region(0, first - top + 1, width, end - first))  # + 1: the header

    def _scroll_cursor_into_view(self) -> None:
        top = self.scroll_offset.y
        visible = self._visible_rows
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._visible_rows)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self._visible_rows)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self._row_count - 1)

    def action_select_cursor(self) -> None:
        row = self.highlighted
        if row is not None:
            self.post_message(self.TicketSelected(self, self._cursor, row))

    def _post_highlighted(self) -> None:
        if self._row_count:
            self.post_message(self.TicketHighlighted(self, self._cursor, self.highlighted))

    async def _on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = self.scroll_offset.y + event.y - 1
        if index >= self._row_count:
            return
        self.move_cursor(index)
        if event.chain >= 2:
            self.action_select_cursor()

    # -- windowing -------------------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        # ScrollView's, but the scrollbar is repainted only when its thumb moves on screen.
        if self.show_vertical_scrollbar:
            self._move_scrollbar(new_value)
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)
        self._request_window()

    def _move_scrollbar(self, position: float) -> None:
        """Move the scrollbar to `position`, repainting it only if that changes how it looks.

        In a long queue the thumb moves by one eighth of a cell every few hundred rows, but
        Textual repaints the scrollbar on any change of position: that cost as much as
        painting the table. The position itself is always kept exact (dragging uses it).
        """
        bar = self.vertical_scrollbar
        position = bar.validate_position(position)
        drawn = _thumb(bar, bar.position)
        if drawn is not None and drawn == _thumb(bar, position):
            bar.set_reactive(ScrollBar.position, position)
        else:
            bar.position = position

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self._row_count + 1)
        self._request_window()

    def _window(self) -> range:
        """Pages to hold: the viewport and the cursor, plus one screen either side."""
        if self._row_count == 0:
            return range(0)
        visible = self._visible_rows
        top = self.scroll_offset.y
        low = max(0, min(top, self._cursor) - visible)
        high = min(self._row_count - 1, max(top + visible, self._cursor) + visible)
        return range(low // PAGE_SIZE, high // PAGE_SIZE + 1)

    def _request_window(self) -> None:
        for page in self._window():
            if page in self._pages or page in self._requested:
                continue
            self._requested.add(page)
            offset = page * PAGE_SIZE
            limit = min(PAGE_SIZE, self._row_count - offset)
            self.post_message(self.PageNeeded(self, self._generation, offset, limit))

    def _evict_far_pages(self) -> None:
        if len(self._pages) <= MAX_CACHED_PAGES:
            return
        keep = set(self._window())
        centre = self._cursor // PAGE_SIZE
        by_distance = sorted(
            (page for page in self._pages if page not in keep),
            key=lambda page: abs(page - centre),
            reverse=True,
        )
        for page in by_distance[: len(self._pages) - MAX_CACHED_PAGES]:
            del self._pages[page]

    # -- painting --------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._colour_cache.clear()
        self._strips.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        # Styles are read once per frame, not per line; kept lines painted with other styles
        # (focus moved, theme changed, resized) are dropped.
        self._paint = _PaintContext.of(self)
        if self._paint != self._strips_context:
            self._strips.clear()
            self._strips_context = self._paint
        if not self._prerender_due:
            self._prerender_due = True
            self.call_after_refresh(self._prerender_next_screens)
        if not self._plain_box():
            return super().render_lines(crop)
        # Textual's own pass (`_styles_cache`) would copy every line to apply a border,
        # padding, tint or opacity this table does not have, and so lose the per-line caches
        # below: our kept lines go to the screen as they are, widened to the scrollbar's edge
        # and run through the app's filters, each cached on the line itself.
        width = self.region.width
        base_background, background = self.background_colors
        inner = (base_background + background).rich_color
        pad = Style(bgcolor=inner)
        filters = self.get_line_filters()
        strips: list[Strip] = []
        for y in crop.line_range:
            strip = self.render_line(y).adjust_cell_length(width, pad)
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        if crop.column_span != (0, width):
            first, end = crop.column_span
            strips = [strip.crop(first, end) for strip in strips]
        return strips

    def _plain_box(self) -> bool:
        """No border, padding, outline, tint, hatch or transparency: nothing to add to lines."""
        styles = self.styles
        return (
            not any(styles.gutter)
            and not any(edge for edge, _ in styles.outline)
            and not styles.tint.a
            and self.opacity == 1
            and styles.text_opacity == 1
            and (not styles.has_rule("hatch") or styles.hatch == "none")
        )

    def _prerender_next_screens(self) -> None:
        """Render the loaded rows a screen below and above the view, after the frame.

        A page down shows a screenful of rows never painted; rendered now, between keys,
        they are ready when it comes instead of being rendered inside its frame.
        """
        self._prerender_due = False
        paint = self._strips_context
        if paint is None or not self._row_count:
            return
        top, visible = self.scroll_offset.y, self._visible_rows
        below = range(top + visible, min(top + 2 * visible, self._row_count))
        above = range(max(0, top - visible), top)
        for index in (*below, *above):
            key = (index, index == self._cursor)
            if key not in self._strips and self.row_at(index) is not None:
                self._keep_strip(key, self._render_row(index, index - top + 1, paint))

    def _keep_strip(self, key: tuple[int, bool], strip: Strip) -> None:
        if len(self._strips) >= MAX_CACHED_STRIPS:
            # Keep what is on screen and a screen or two around it; drop the rest.
            top, visible = self.scroll_offset.y, self._visible_rows
            near = range(top - 2 * visible, top + 3 * visible)
            for old in [old for old in self._strips if old[0] >= 0 and old[0] not in near]:
                del self._strips[old]
            if len(self._strips) >= MAX_CACHED_STRIPS:
                self._strips.clear()
        self._strips[key] = strip

    def _over(self, component: str, background: Color) -> Style:
        """A component's colour and text style, its alpha blended over `background`.

        Rich styles cannot carry alpha, and theme colours such as `$text-muted` have some.
        """
        key = (component, background)
        style = self._colour_cache.get(key)
        if style is None:
            styles = self.get_component_styles(component)
            colour = None
            if styles.has_rule("auto_color") and styles.auto_color:
                # `$text-muted` and friends are "auto": a contrast colour for the background.
                colour = (background + background.get_contrast_text(styles.color.a)).rich_color
            elif styles.has_rule("color"):
                colour = (background + styles.color).rich_color
            style = Style(color=colour) + styles.text_style
            self._colour_cache[key] = style
        return style

    def _cells_strip(
        self, cells: Sequence[Cell], width: int, base: Style, background: Color | None
    ) -> Strip:
        """One line of cells; `background` None paints every cell in `base` alone."""
        widths = _column_widths(width)
        segments = [Segment(" ", base)]
        for column, column_width, cell in zip(COLUMNS, widths, cells, strict=True):
            style = base
            if background is not None and cell.component is not None:
                style = base + self._over(cell.component, background)
            segments.append(Segment(_fit(cell.text, column_width, column.right), style))
            segments.append(Segment(" ", base))
        used = sum(widths) + len(widths) + 1
        if used > width:  # narrower than the fixed columns: cut
            return Strip(segments, used).adjust_cell_length(width, base)
        if used < width:
            segments.append(Segment(" " * (width - used), base))
        return Strip(segments, width)  # the length is known: Strip need not measure it

    def render_line(self, y: int) -> Strip:
        paint = self._paint or _PaintContext.of(self)
        index = -1 if y == 0 else self.scroll_offset.y + y - 1
        key = (index, index == self._cursor)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(index, y, paint)
            self._keep_strip(key, strip)
        return strip

    def _render_row(self, index: int, y: int, paint: _PaintContext) -> Strip:
        """Line `y` of the viewport, showing row `index` (-1: the header)."""
        width, base, background = paint.width, paint.base, paint.background
        if index < 0:
            header = self.get_component_rich_style("ticket-table--header")
            return self._cells_strip([Cell(c.title) for c in COLUMNS], width, header, None)
        if self._row_count == 0:
            if y == 2:
                muted = base + self._over("ticket-table--muted", background)
                line = Strip([Segment(f"  {self.empty_message}", muted)])
                return line.adjust_cell_length(width, base)
            return Strip.blank(width, base)
        if index >= self._row_count:
            return Strip.blank(width, base)
        row = self.row_at(index)
        if index == self._cursor:
            if row is None:
                placeholder = paint.cursor + self._over(
                    "ticket-table--placeholder", paint.cursor_background
                )
                return self._cells_strip(_PLACEHOLDER, width, placeholder, None)
            # The cursor row is painted in the cursor colours alone, for contrast.
            return self._cells_strip(
                row_cells(row, self._now, self._sla_policies), width, paint.cursor, None
            )
        if row is None:
            placeholder = base + self._over("ticket-table--placeholder", background)
            return self._cells_strip(_PLACEHOLDER, width, placeholder, None)
        return self._cells_strip(
            row_cells(row, self._now, self._sla_policies), width, base, background
        )


def _thumb(bar: ScrollBar, position: float) -> list[Segment] | None:
    """How `bar` looks at `position`, by Textual's own drawing of it (None: not known)."""
    render_bar = getattr(bar.renderer, "render_bar", None)
    if render_bar is None:
        return None
    window = bar.window_size if bar.window_size < bar.window_virtual_size else 0
    drawn = render_bar(
        size=bar.size.height,
        virtual_size=ceil(bar.window_virtual_size),
        window_size=ceil(window),
        position=position,
        thickness=bar.thickness,
        vertical=bar.vertical,
    )
    return list(drawn.segments)


@dataclass(frozen=True, slots=True)
class _PaintContext:
    """What every line of one frame is painted with; kept lines are valid while it holds."""

    width: int
    base: Style
    background: Color
    cursor: Style
    cursor_background: Color

    @classmethod
    def of(cls, table: TicketTable) -> _PaintContext:
        background = table.background_colors[1]
        return cls(
            width=table.scrollable_content_region.width,
            base=table.rich_style,
            background=background,
            cursor=table.get_component_rich_style("ticket-table--cursor"),
            cursor_background=background
            + table.get_component_styles("ticket-table--cursor").background,
        )


_PLACEHOLDER = [Cell("·" * min(3, column.width or 3)) for column in COLUMNS]

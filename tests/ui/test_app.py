"""The app shell: start-up, exit codes, themes, keymap, help, palette and quitting."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest
from textual.command import CommandInput
from textual.pilot import Pilot
from textual.widgets import Input, LoadingIndicator

from agentdesk.app import EXIT_STORE_FAILED, AgentDeskApp
from agentdesk.commands import ticket_number
from agentdesk.keymap import bind, keymap_clashes, known_binding_ids, unknown_ids
from agentdesk.screens.help import HelpScreen
from agentdesk.screens.queue import QueueScreen
from agentdesk.store.base import Scope, Store
from agentdesk.store.errors import Unavailable
from agentdesk.store.memory import MemoryStore
from agentdesk.themes import (
    DEFAULT_THEME,
    THEME_VARIABLES,
    ThemeFileError,
    builtin_themes,
    load_user_themes,
    parse_theme,
)
from tests.ui.conftest import (
    Notes,
    OpenedTickets,
    build_app,
    make_settings,
    seeded_opener,
    settle,
)

# -- start-up ------------------------------------------------------------------------------


async def test_first_paint_comes_before_the_store_opens(tmp_path: Path) -> None:
    release = asyncio.Event()
    opener = seeded_opener()

    async def slow_open() -> Store:
        await release.wait()
        return await opener()

    app = build_app(tmp_path, open_store=slow_open)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.query_one("#startup-message").display
        assert not isinstance(app.screen, QueueScreen)
        assert not app.ready
        release.set()
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.agent.handle == "junior"


async def test_start_up_message_and_spinner_hide_once_the_queue_is_up(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        beneath = app.screen_stack[0]
        for spinner in beneath.query(LoadingIndicator):
            assert not all(node.display for node in spinner.ancestors_with_self)
        assert not beneath.query_one("#startup").display  # the message too


async def test_on_ready_is_called_once_the_queue_is_up(tmp_path: Path) -> None:
    screens: list[object] = []
    app = AgentDeskApp(
        settings=make_settings(tmp_path),
        open_store=seeded_opener(),
        agent_handle="junior",
        on_ready=lambda: screens.append(app.screen),
    )
    async with app.run_test() as pilot:
        await settle(pilot)
        assert len(screens) == 1 and isinstance(screens[0], QueueScreen)


async def test_on_ready_is_not_called_when_the_app_gives_up(tmp_path: Path) -> None:
    called: list[bool] = []
    app = AgentDeskApp(
        settings=make_settings(tmp_path),
        open_store=seeded_opener(),
        agent_handle="nobody",
        on_ready=lambda: called.append(True),
    )
    async with app.run_test() as pilot:
        await settle(pilot)
    assert app.return_code == EXIT_STORE_FAILED
    assert called == []


async def test_unknown_agent_exits_with_code_2_and_says_why(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="nobody")
    async with app.run_test() as pilot:
        await settle(pilot)
    assert app.return_code == EXIT_STORE_FAILED
    assert app.exit_message is not None
    assert "nobody" in app.exit_message


async def test_unavailable_store_exits_with_code_2(tmp_path: Path) -> None:
    async def broken_open() -> Store:
        raise Unavailable("database is locked")

    app = build_app(tmp_path, open_store=broken_open)
    async with app.run_test() as pilot:
        await settle(pilot)
    assert app.return_code == EXIT_STORE_FAILED
    assert app.exit_message is not None
    assert "database is locked" in app.exit_message


async def test_store_is_closed_when_the_app_ends(tmp_path: Path) -> None:
    closed: list[bool] = []

    class ClosingStore(MemoryStore):
        async def close(self) -> None:
            closed.append(True)

    app = build_app(tmp_path, store=ClosingStore())
    async with app.run_test() as pilot:
        await settle(pilot)
    assert closed == [True]


# -- themes --------------------------------------------------------------------------------


def test_builtin_themes_define_every_agentdesk_variable() -> None:
    themes = {theme.name: theme for theme in builtin_themes()}
    assert {"agentdesk-dark", "agentdesk-light", "agentdesk-high-contrast"} <= set(themes)
    for theme in themes.values():
        assert set(THEME_VARIABLES) <= set(theme.variables), theme.name


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('name = "x"\n[colors]\nprimary = "not-a-colour"', "colors.primary"),
        ('name = "x"\n[colors]\nsecondary = "#fff"', "colors.primary is required"),
        ('[colors]\nprimary = "#fff"', "name"),
        ('name = "x"\n[colors]\nprimary = "#fff"\n[variables]\nsla-ok = "blurple"', "sla-ok"),
        ('name = "x"\n[colours]\nprimary = "#fff"', "unknown key 'colours'"),
        ('name = "x"\ndark = "yes"\n[colors]\nprimary = "#fff"', "dark"),
        ("name = ", "not valid TOML"),
    ],
)
def test_bad_theme_files_are_refused_with_the_key_named(text: str, complaint: str) -> None:
    with pytest.raises(ThemeFileError, match=r"mine\.toml") as caught:
        parse_theme(text, "mine.toml")
    assert complaint in str(caught.value)


def test_theme_variables_accept_alpha_and_text_styles() -> None:
    theme = parse_theme(
        'name = "x"\n[colors]\nprimary = "#123456"\n[variables]\n'
        'sla-ok = "#00ff00 50%"\nblock-cursor-text-style = "bold reverse"',
        "x.toml",
    )
    assert theme.variables["sla-ok"] == "#00ff00 50%"


def test_user_theme_folder_reports_each_broken_file(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text('name = "good"\n[colors]\nprimary = "#336699"\n')
    (tmp_path / "bad.toml").write_text("this is not toml")
    loaded = load_user_themes(tmp_path)
    assert [theme.name for theme in loaded.themes] == ["good"]
    assert len(loaded.problems) == 1
    assert "bad.toml" in loaded.problems[0]
    assert load_user_themes(tmp_path / "missing").themes == []


async def test_broken_theme_file_is_reported_once_and_default_used(tmp_path: Path) -> None:
    themes_dir = tmp_path / "themes"
    themes_dir.mkdir()
    (themes_dir / "mine.toml").write_text('name = "mine"\n[colors]\nprimary = "nope"\n')
    app = build_app(tmp_path, theme="mine")
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == DEFAULT_THEME
        assert len(notes.matching("mine.toml")) == 1
        assert len(notes.matching("Unknown theme 'mine'")) == 1
        assert isinstance(app.screen, QueueScreen)


async def test_user_theme_without_agentdesk_variables_still_styles_the_queue(
    tmp_path: Path,
) -> None:
    themes_dir = tmp_path / "themes"
    themes_dir.mkdir()
    (themes_dir / "plain.toml").write_text(
        'name = "plain"\ndark = false\n[colors]\nprimary = "#884400"\n'
    )
    app = build_app(tmp_path, theme="plain")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "plain"
        # Derived from the theme's own colours, so `$sla-breached` resolves.
        assert app.theme_variables["sla-breached"] == app.theme_variables["error"]
        assert isinstance(app.screen, QueueScreen)


async def test_textual_builtin_themes_get_agentdesk_variables(tmp_path: Path) -> None:
    app = build_app(tmp_path, theme="ansi-dark")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.theme == "ansi-dark"
        assert isinstance(app.screen, QueueScreen)
        app.theme = "nord"
        await pilot.pause()
        assert app.theme_variables["vip"] == app.theme_variables["accent"]


# -- keymap and help -----------------------------------------------------------------------


def test_bind_requires_a_dotted_id() -> None:
    with pytest.raises(ValueError, match="dotted"):
        bind("pullnext", "n", "pull_next", "Pull next", "")


def test_keymap_clashes_name_the_binding_that_lost_its_key() -> None:
    assert keymap_clashes({"queue.pull_next": "t"}) == [
        "queue.pull_next took 't' from queue.toggle_scope, which has no key there now"
    ]
    # Swapping two keys is no clash, nor is a key used on another screen.
    assert keymap_clashes({"queue.pull_next": "t", "queue.toggle_scope": "n"}) == []
    assert keymap_clashes({"help.close": "n"}) == []
    # `/` is `slash` to Textual.
    assert keymap_clashes({"queue.toggle_scope": "/"}) == [
        "queue.toggle_scope took 'slash' from queue.filter, which has no key there now"
    ]


def test_unknown_ids_are_those_no_binding_declares() -> None:
    known = known_binding_ids()
    assert {"queue.pull_next", "queue.filter", "queue.open", "app.help", "app.quit"} <= known
    assert unknown_ids({"queue.pull_next": "p", "queue.pul_next": "x"}, known) == ["queue.pul_next"]


async def test_help_lists_keys_of_this_screen_with_rebound_key(tmp_path: Path) -> None:
    app = build_app(tmp_path, keymap={"queue.pull_next": "p", "nothing.here": "x"})
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert len(notes.matching("nothing.here")) == 1
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        entries = {entry.binding_id: entry for entry in app.screen.entries}
        assert entries["queue.pull_next"].keys == ("p",)
        assert entries["queue.pull_next"].description == "Pull next"
        assert entries["app.help"].keys == ("?", "f1")
        assert "table.cursor_down" in entries
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, QueueScreen)


async def test_rebound_key_runs_the_action(tmp_path: Path, store: MemoryStore) -> None:
    app = build_app(tmp_path, store=store, keymap={"queue.pull_next": "p"})
    opened = OpenedTickets(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert opened.ids == []
        await pilot.press("p")
        await settle(pilot)
        assert len(opened.ids) == 1


async def test_keymap_clash_is_reported_once_and_the_users_choice_wins(
    tmp_path: Path, store: MemoryStore
) -> None:
    app = build_app(tmp_path, store=store, keymap={"queue.pull_next": "t"})
    notes = Notes(app)
    opened = OpenedTickets(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("down", "up", "t")
        await settle(pilot)
        assert len(notes.matching("queue.pull_next took 't' from queue.toggle_scope")) == 1
        assert len(opened.ids) == 1
        assert queue_scope(app) is Scope.TEAM


def queue_scope(app: AgentDeskApp) -> Scope:
    assert isinstance(app.screen, QueueScreen)
    return app.screen.scope


# -- quitting ------------------------------------------------------------------------------


async def test_q_quits_but_types_into_the_filter(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("slash", "q")
        assert app.screen.query_one("#queue-filter", Input).value == "q"
        assert app.is_running
        await pilot.press("escape", "q")
        await pilot.pause()
    assert app.return_code == 0


# -- palette -------------------------------------------------------------------------------


async def run_palette(pilot: Pilot[None], query: str) -> None:
    """Open the palette, search for `query` (set at once: typing costs time) and run the top hit."""
    await pilot.press("ctrl+p")
    pilot.app.screen.query_one(CommandInput).value = query
    await settle(pilot)
    await pilot.press("down", "enter")
    await settle(pilot)


@pytest.mark.parametrize(
    ("query", "number"),
    [("42", 42), ("#42", 42), ("ticket 42", 42), ("ticket: open #42", 42), ("open 7", 7)],
)
def test_ticket_number_understands_palette_queries(query: str, number: int) -> None:
    assert ticket_number(query) == number


@pytest.mark.parametrize("query", ["", "theme", "42 things", "script: 4"])
def test_ticket_number_ignores_other_queries(query: str) -> None:
    assert ticket_number(query) is None


async def test_palette_opens_a_ticket_by_number(tmp_path: Path, store: MemoryStore) -> None:
    app = build_app(tmp_path, store=store)
    opened = OpenedTickets(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await run_palette(pilot, "#3")
        ticket = await store.ticket_by_number(3)
        assert opened.ids == [ticket.id]


async def test_palette_switches_theme(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await run_palette(pilot, "theme: agentdesk-light")
        assert app.theme == "agentdesk-light"


async def test_palette_shows_a_script(tmp_path: Path) -> None:
    app = build_app(tmp_path)
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await run_palette(pilot, "script: refund")
        assert notes.matching("I have started the refund")


async def test_opening_a_ticket_uses_the_ticket_screen_or_says_it_is_missing(
    tmp_path: Path, store: MemoryStore
) -> None:
    app = build_app(tmp_path, store=store)
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        if importlib.util.find_spec("agentdesk.screens.ticket") is None:
            assert notes.matching("ticket screen is not available")
            assert isinstance(app.screen, QueueScreen)
        else:
            assert type(app.screen).__name__ == "TicketScreen"

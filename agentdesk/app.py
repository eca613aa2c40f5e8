"""The agentdesk App: opens the store in a worker while it paints, then shows the queue.

Screens reach shared state through `self.app`: `store`, `agent`, `settings`, `now()`, and the
shared verbs `open_ticket(ticket_id)` and `report_error(error, action=...)`.

Sync: when a server is configured, a timer reads the outbox's state (`store.sync_status()`) in
a worker and hands it to the status bars; `sync_online` is set by whoever talks to the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Center, Middle
from textual.widgets import Input, LoadingIndicator, Static

from agentdesk import keymap, themes
from agentdesk.commands import COMMAND_PROVIDERS
from agentdesk.config import ConfigError, Settings
from agentdesk.config_reload import reload_settings
from agentdesk.config_transfer import check_departments
from agentdesk.domain import alerts
from agentdesk.domain.errors import DomainError
from agentdesk.domain.lead_alerts import Throttle
from agentdesk.domain.model import Agent
from agentdesk.domain.outbox import SyncView
from agentdesk.domain.sla import row_clock
from agentdesk.keymap import bind
from agentdesk.screens.help import HelpScreen
from agentdesk.screens.queue import QueueScreen
from agentdesk.store.base import Scope, Store, TicketQuery
from agentdesk.store.errors import Conflict, StoreError
from agentdesk.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from agentdesk.credentials import ServerCredentials


def utc_now() -> datetime:
    return datetime.now(UTC)


StoreOpener = Callable[[], Awaitable[Store]]

# Exit code when the store cannot be opened or the agent is unknown (the CLI passes it on).
EXIT_STORE_FAILED = 2
# How often the agent's SLA clocks are looked at for alerts (digests are throttled further),
# and how many of the agent's tickets are watched.
SLA_WATCH_SECONDS = 20.0
SLA_WATCH_LIMIT = 500
# How often the status bar's sync counts are read (one indexed count query).
SYNC_STATUS_SECONDS = 5.0

ServerFinder = Callable[[], "ServerCredentials | None"]
# One sync round with the server (agentdesk.sync.sync_once behind it); raises SyncFailure.
SyncRound = Callable[["Store", "ServerCredentials", datetime], Awaitable[object]]


class AgentDeskApp(App[None]):
    """Screens reach shared state through `self.app`: `store`, `agent`, `settings`, `now()`."""

    TITLE = "agentdesk"
    CSS_PATH = "app.tcss"
    COMMANDS = COMMAND_PROVIDERS
    BINDINGS = [
        bind("app.help", "question_mark,f1", "help", "Help", "Show the keys for this screen"),
        bind("app.quit", "q", "quit", "Quit", "Quit agentdesk"),
        bind(
            "app.palette",
            "ctrl+p",
            "command_palette",
            "Commands",
            "Open the command palette",
            show=False,
            priority=True,
        ),
        bind(
            "app.reload_settings",
            "f5",
            "reload_settings",
            "Reload settings",
            "Read the config file again; a broken one changes nothing",
            show=False,
        ),
    ]

    def __init__(
        self,
        *,
        settings: Settings,
        open_store: StoreOpener,
        agent_handle: str,
        clock: Callable[[], datetime] = utc_now,
        on_ready: Callable[[], None] | None = None,
        find_server: ServerFinder | None = None,
        sync_round: SyncRound | None = None,
    ) -> None:
        """`on_ready` is called once the store is open and the queue screen is up.

        `find_server` says which server to sync with (None: local only); it may read the
        keyring, so it runs on a thread. With a server and `sync_round`, a round runs at
        start-up and then every SYNC_ROUND_SECONDS, backing off after failures.
        """
        super().__init__()
        self.settings = settings
        self._open_store = open_store
        self.agent_handle = agent_handle
        self._clock = clock
        self._on_ready = on_ready
        self._find_server = find_server
        self._sync_round = sync_round
        self._sync_failures = 0
        self.sync_server: ServerCredentials | None = None
        self.sync_online = False
        self.sync_view: SyncView | None = None  # None: local only
        self.store: Store
        self.agent: Agent
        self.ready = False  # True once the store is open and the agent known
        self.exit_message: str | None = None  # why the app gave up, for the CLI
        self.sla_alerts = alerts.AlertLog()
        # Kept here, not in the lead view: leaving the view and coming back tells nothing again.
        self.lead_alert_throttle = Throttle()
        self._startup_notices = self._install_themes()

    def now(self) -> datetime:
        return self._clock()

    # -- themes and keys -------------------------------------------------------------------
    def _install_themes(self) -> list[str]:
        """Register built-in and user themes and pick the configured one; returns notices."""
        notices: list[str] = []
        for theme in themes.builtin_themes():
            self.register_theme(theme)
        user = themes.load_user_themes(self.settings.themes_dir)
        for theme in user.themes:
            self.register_theme(theme)
        notices.extend(f"Theme file skipped: {problem}" for problem in user.problems)
        wanted = self.settings.theme
        if wanted not in self.available_themes:
            notices.append(f"Unknown theme {wanted!r}; using {themes.DEFAULT_THEME}")
            wanted = themes.DEFAULT_THEME
        self.theme = wanted
        return notices

    def get_theme_variable_defaults(self) -> dict[str, str]:
        # Any theme (Textual's built-ins, user themes missing a variable) gets agentdesk's
        # variables, derived from its own colours, so the stylesheet always resolves.
        return themes.variable_defaults(self.current_theme)

    def _check_keymap(self) -> None:
        """Report keymap ids that match no binding, once; the rest of the keymap still applies."""
        if not self.settings.keymap:
            return
        # Screens that load lazily declare their ids on import; load them to know them.
        with contextlib.suppress(ModuleNotFoundError):
            importlib.import_module("agentdesk.screens.ticket")
            importlib.import_module("agentdesk.screens.conflicts")
            importlib.import_module("agentdesk.screens.my_reviews")
            importlib.import_module("agentdesk.screens.skills")
            importlib.import_module("agentdesk.screens.lead")
        problems = keymap.keymap_clashes(self.settings.keymap)
        unknown = keymap.unknown_ids(self.settings.keymap, keymap.known_binding_ids())
        if unknown:
            problems.insert(0, f"unknown binding id(s): {', '.join(unknown)}")
        if problems:
            self.notify(
                "\n".join(problems),
                title=f"Keymap in {self.settings.config_path}",
                severity="warning",
                timeout=10,
            )

    # -- start-up --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Middle(id="startup"), Center():
            yield Static(f"Opening the store for {self.agent_handle}…", id="startup-message")
            yield LoadingIndicator()

    def on_mount(self) -> None:
        self.set_keymap(dict(self.settings.keymap))
        for notice in self._startup_notices:
            self.notify(notice, title="Theme", severity="warning", timeout=10)
        for notice in self.settings.notices:
            self.notify(notice, title="Config file", severity="warning", timeout=20)
        # Open the store at once, on its own thread: the start-up message paints meanwhile,
        # and is only seen when opening takes a while. (Waiting for that paint before even
        # starting to open cost a launch some 35 ms.)
        self.run_worker(self._connect(), name="open store", group="store", exclusive=True)

    async def _connect(self) -> None:
        try:
            store = await self._open_store()
        except StoreError as error:
            self._give_up(f"cannot open the store: {error}")
            return
        self.store = store
        try:
            self.agent = await store.agent_by_handle(self.agent_handle)
        except StoreError as error:
            self._give_up(f"cannot start as {self.agent_handle!r}: {error}")
            return
        self._apply_to_store(self.settings)
        self.ready = True
        self._check_keymap()
        startup = self.query_one("#startup")
        await self.push_screen(QueueScreen())
        # The start-up screen stays beneath the queue; its spinner would go on animating
        # there, and Textual repaints the top screen with each frame of the one beneath.
        startup.display = False
        self.set_interval(SLA_WATCH_SECONDS, self.watch_sla)
        if self._find_server is not None:
            self.run_worker(self._start_sync_status(), name="find server", group="sync")
        if self._on_ready is not None:
            self._on_ready()

    # -- sync ----------------------------------------------------------------------------------
    async def _start_sync_status(self) -> None:
        from agentdesk.credentials import CredentialsError

        assert self._find_server is not None
        try:
            self.sync_server = await asyncio.to_thread(self._find_server)
        except (CredentialsError, OSError) as error:  # an unreadable server.toml, too
            self.notify(f"{error}; working locally.", title="Sync", severity="warning")
            return
        if self.sync_server is None:
            return
        self.refresh_sync_status()
        self.set_interval(SYNC_STATUS_SECONDS, self.refresh_sync_status)
        self.sync_now()

    @property
    def can_sync(self) -> bool:
        return self.sync_server is not None and self._sync_round is not None

    def sync_now(self) -> None:
        """Start a sync round unless one is running (or there is nothing to sync with)."""
        if not self.can_sync:
            return
        if any(worker.group == "sync-round" and worker.is_running for worker in self.workers):
            return
        self.run_worker(self._run_sync_round(), name="sync now", group="sync-round")

    async def _run_sync_round(self) -> None:
        from agentdesk.sync import SyncFailure, TokenRefused, Unreachable
        from agentdesk.sync.loop import INTERVAL_SECONDS, Backoff

        assert self.sync_server is not None and self._sync_round is not None
        delay = INTERVAL_SECONDS
        try:
            report = await self._sync_round(self.store, self.sync_server, self.now())
        except (SyncFailure, StoreError) as failure:
            self.sync_online = False
            self._sync_failures += 1
            delay = Backoff().delay(self._sync_failures)
            if isinstance(failure, TokenRefused):
                self.notify(f"{failure}; log in again to sync.", title="Sync", severity="error")
                self.refresh_sync_status()
                return  # retrying cannot help until the agent logs in again
            if not isinstance(failure, Unreachable) and self._sync_failures == 1:
                self.notify(str(failure), title="Sync", severity="warning")
        else:
            self.sync_online = True
            self._sync_failures = 0
            if getattr(report, "pulled", 0):
                # Other sites' work arrived: queues show it without the agent asking.
                for screen in self.screen_stack:
                    if isinstance(screen, QueueScreen):
                        screen.reload()
        self.refresh_sync_status()
        self.set_timer(delay, self.sync_now)

    def refresh_sync_status(self) -> None:
        """Read the outbox's state again and show it (no-op when working locally)."""
        if self.sync_server is not None:
            self.run_worker(self._read_sync_status(), group="sync-status", exclusive=True)

    async def _read_sync_status(self) -> None:
        try:
            status = await self.store.sync_status()
        except StoreError:
            return  # not worth a notice every few seconds; the queue reports store trouble
        self.show_sync(SyncView(self.sync_online, status, self.now()))

    def show_sync(self, view: SyncView | None) -> None:
        self.sync_view = view
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.sync_view = view

    def show_lead_view(self) -> None:
        """Open the lead view, or tell an agent it is for leads (it never opens for them)."""
        from agentdesk.domain.reviews import is_lead
        from agentdesk.screens.lead import LEADS_ONLY, LeadScreen

        if not is_lead(self.agent):
            self.notify(LEADS_ONLY, title="Leads only", severity="warning")
            return
        if not isinstance(self.screen, LeadScreen):
            self.push_screen(LeadScreen())

    def show_conflicts(self) -> None:
        from agentdesk.screens.conflicts import ConflictsScreen

        self.push_screen(ConflictsScreen())

    # -- settings ----------------------------------------------------------------------------
    def _apply_to_store(self, settings: Settings) -> None:
        """Hand the store the SLA targets, routing policy and transfer rules it works by."""
        self.store.policies = settings.sla
        self.store.routing_policy = settings.routing
        self.store.transfer_rules = settings.transfer_rules
        if settings.transfer_rules:
            self.run_worker(
                self._check_transfer_rules(settings), group="rules-check", exclusive=True
            )

    async def _check_transfer_rules(self, settings: Settings) -> None:
        """Leave out (and report) rules whose department the store does not have.

        Checked after the queue is up, as it reads the departments; until then intake
        skips such rules anyway.
        """
        try:
            known = {department.id for department in await self.store.departments()}
        except StoreError as error:
            self.report_error(error, action="check the transfer rules")
            return
        kept, problems = check_departments(settings.transfer_rules, known)
        if self.settings is not settings:
            return  # reloaded meanwhile; the newer rules get their own check
        self.store.transfer_rules = kept
        if problems:
            self.notify(
                "\n".join(problems),
                title=f"Transfer rules in {settings.config_path}",
                severity="warning",
                timeout=15,
            )

    def action_reload_settings(self) -> None:
        self.run_worker(self._reload_settings(), name="reload settings", group="settings")

    async def _reload_settings(self) -> None:
        """Bring in the whole config file, or on any error keep every current setting."""
        previous = self.settings
        try:
            settings = await asyncio.to_thread(reload_settings, previous)
        except ConfigError as error:
            self.notify(
                f"{error}\nThe current settings stay in force.",
                title="Settings not reloaded",
                severity="error",
                timeout=20,
            )
            return
        self.settings = settings
        if self.ready:
            self._apply_to_store(settings)
        # Only what the file changed: a theme picked from the palette since stays.
        if settings.theme != previous.theme:
            if settings.theme in self.available_themes:
                self.theme = settings.theme
            else:
                self.notify(f"Unknown theme {settings.theme!r}", title="Theme", severity="warning")
        if settings.keymap != previous.keymap:
            self.set_keymap(dict(settings.keymap))
            self._check_keymap()
        self.notify(f"Settings reloaded from {settings.config_path}.", title="Settings")

    def _give_up(self, message: str) -> None:
        self.exit_message = f"agentdesk: {message}"
        self.exit(return_code=EXIT_STORE_FAILED, message=self.exit_message)

    async def on_unmount(self) -> None:
        store = getattr(self, "store", None)
        if store is not None:
            try:
                await store.close()
            except StoreError as error:
                self.log.error(f"closing the store failed: {error}")

    # -- SLA alerts ------------------------------------------------------------------------
    def watch_sla(self) -> None:
        """Look at the agent's SLA clocks; news goes out as one throttled digest."""
        self.run_worker(self._review_sla(), name="watch sla", group="sla-alerts", exclusive=True)

    async def _review_sla(self) -> None:
        query = TicketQuery(scope=Scope.MINE, agent_id=self.agent.id)
        try:
            rows = await self.store.ticket_rows(query, 0, SLA_WATCH_LIMIT)
        except StoreError as error:
            # Not worth a notice every few seconds; the queue reports the store's trouble.
            self.log.warning(f"SLA watch could not read the tickets: {error}")
            return
        now = self.now()
        clocks = [
            alerts.WatchedClock(row.id, row.number, clock.target, clock.state)
            for row in rows
            if (clock := row_clock(row, now, self.store.policies)) is not None
        ]
        self.sla_alerts, digest = alerts.review(self.sla_alerts, clocks, now)
        if digest is not None:
            self.notify(digest.message, title=digest.title, severity=digest.severity, timeout=10)

    # -- shared verbs ----------------------------------------------------------------------
    def report_error(self, error: Exception, *, action: str) -> None:
        """The one place worker failures reach the user: `action` says what did not happen."""
        expected = isinstance(error, StoreError | DomainError)
        severity = "warning" if isinstance(error, Conflict | DomainError) else "error"
        message = str(error) if expected else f"unexpected {type(error).__name__}: {error}"
        if not expected:
            self.log.error(f"{action} failed", error)
        self.notify(message, title=f"Could not {action}", severity=severity, timeout=8)

    def open_ticket(self, ticket_id: str) -> None:
        try:
            from agentdesk.screens.ticket import TicketScreen
        except ModuleNotFoundError as error:
            if error.name != "agentdesk.screens.ticket":
                raise
            self.notify("The ticket screen is not available yet.", severity="warning")
            return
        self.push_screen(TicketScreen(ticket_id))

    def on_key(self, event: events.Key) -> None:
        # A burst of keys (fast typing, a paste, a busy moment) is queued for the widget that
        # had focus when it arrived. If one of them moved focus into a text box (`/` on the
        # queue), the rest reach us unhandled: they were meant for the box, so put them there.
        focused = self.focused
        if isinstance(focused, Input) and event.is_printable and event.character:
            focused.insert_text_at_cursor(event.character)
            event.stop()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

"""Command-palette providers: `noun: verb` entries for tickets, scripts, the queue, sync and
themes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from agentdesk.domain.model import Script
from agentdesk.domain.reviews import is_lead
from agentdesk.store.base import Scope
from agentdesk.store.errors import NotFound, StoreError

if TYPE_CHECKING:
    from agentdesk.app import AgentDeskApp
    from agentdesk.screens.queue import QueueScreen

# "42", "#42", "ticket 42", "ticket: open #42", "open 42"
_TICKET_NUMBER = re.compile(r"^\s*(?:ticket:?\s*)?(?:open\s*)?#?\s*(\d{1,9})\s*$", re.IGNORECASE)


def ticket_number(query: str) -> int | None:
    """The ticket number a palette query asks for, if it asks for one."""
    match = _TICKET_NUMBER.match(query)
    return int(match.group(1)) if match else None


class DeskProvider(Provider):
    """Base for agentdesk providers: typed access to the app, and plain fuzzy entries."""

    @property
    def desk(self) -> AgentDeskApp:
        return cast("AgentDeskApp", self.app)

    def entries(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        """(text, command, help) triples offered by this provider; override."""
        return ()

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self.entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)

    async def discover(self) -> Hits:
        for text, command, help_text in self.entries():
            yield DiscoveryHit(text, command, text=text, help=help_text)


class TicketCommands(DeskProvider):
    """`ticket: open #N`: type a number to find the ticket."""

    async def search(self, query: str) -> Hits:
        number = ticket_number(query)
        if number is None or not self.desk.ready:
            return
        try:
            ticket = await self.desk.store.ticket_by_number(number)
        except NotFound:
            return
        except StoreError as error:
            self.desk.report_error(error, action=f"look up ticket #{number}")
            return
        text = f"ticket: open #{ticket.number}"
        yield Hit(
            1.0, text, partial(self.desk.open_ticket, ticket.id), text=text, help=ticket.subject
        )


class ScriptCommands(DeskProvider):
    """`script: <name>` shows the script's text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._scripts: list[Script] = []

    async def startup(self) -> None:
        if not self.desk.ready:
            return
        try:
            self._scripts = await self.desk.store.scripts()
        except StoreError as error:
            self.desk.report_error(error, action="list scripts")

    def entries(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        for script in self._scripts:
            help_text = script.intent.replace("_", " ") if script.intent else "script"
            yield f"script: {script.name}", partial(self._show, script), help_text

    def _show(self, script: Script) -> None:
        self.desk.notify(script.body, title=f"Script: {script.name}", timeout=20)


def _queue_screen(app: AgentDeskApp) -> QueueScreen | None:
    from agentdesk.screens.queue import QueueScreen

    return next((s for s in reversed(app.screen_stack) if isinstance(s, QueueScreen)), None)


class QueueCommands(DeskProvider):
    """The queue's verbs, reachable from any screen."""

    def entries(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        queue = _queue_screen(self.desk)
        if queue is None:
            return
        yield "queue: pull next", queue.pull_next, "Take the most urgent ticket you can work on"
        yield "queue: team", partial(self._show, queue, Scope.TEAM), "Every active team ticket"
        yield "queue: mine", partial(self._show, queue, Scope.MINE), "Tickets assigned to you"
        yield "queue: filter", partial(self._show, queue, None), "Filter the queue"
        yield "queue: refresh", queue.reload, "Reload the queue from the store"

    def _show(self, queue: QueueScreen, scope: Scope | None) -> None:
        while self.desk.screen is not queue and len(self.desk.screen_stack) > 1:
            self.desk.pop_screen()
        if scope is None:
            queue.action_filter()
        else:
            queue.scope = scope


class AppCommands(DeskProvider):
    def entries(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        yield "app: keys", self.desk.action_help, "Show the keys for this screen"
        yield (
            "app: reload settings",
            self.desk.action_reload_settings,
            "Read the config file again (a broken file changes nothing)",
        )
        yield "app: quit", self.desk.exit, "Quit agentdesk"


class SyncCommands(DeskProvider):
    def entries(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        if self.desk.ready:
            yield (
                "sync: conflicts",
                self.desk.show_conflicts,
                "Operations the server rejected, with the reasons",
            )
        if self.desk.ready and self.desk.can_sync:
            yield (
                "sync: now",
                self.desk.sync_now,
                "Push pending work and pull what changed, without waiting for the timer",
            )


class QualityCommands(DeskProvider):
    """Case reviews of the agent's work, and (for leads) skill certification."""

    def entries(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        if not self.desk.ready:
            return
        yield (
            "reviews: mine",
            self._show_my_reviews,
            "Leads' case reviews of your closed tickets (v in the queue)",
        )
        if is_lead(self.desk.agent):
            yield (
                "agents: skill levels",
                self._show_skills,
                "Raise or lower an agent's certified skill levels; routing uses them at once",
            )
            yield (
                "lead: queues and agents",
                self.desk.show_lead_view,
                "The lead view: queue SLA risk, tickets, agents' load, KPIs (L in the queue)",
            )

    def _show_my_reviews(self) -> None:
        from agentdesk.screens.my_reviews import MyReviewsScreen

        self.desk.push_screen(MyReviewsScreen())

    def _show_skills(self) -> None:
        from agentdesk.screens.skills import SkillsScreen

        self.desk.push_screen(SkillsScreen())


class ThemeCommands(DeskProvider):
    """`theme: <name>` for every registered theme, agentdesk's own first."""

    def entries(self) -> Iterable[tuple[str, Callable[[], Any], str]]:
        names = sorted(self.desk.available_themes, key=lambda n: (not n.startswith("agentdesk"), n))
        for name in names:
            current = " (current)" if name == self.desk.theme else ""
            yield (
                f"theme: {name}",
                partial(setattr, self.desk, "theme", name),
                f"Switch theme{current}",
            )


COMMAND_PROVIDERS: set[type[Provider] | Callable[[], type[Provider]]] = {
    TicketCommands,
    ScriptCommands,
    QueueCommands,
    AppCommands,
    SyncCommands,
    QualityCommands,
    ThemeCommands,
}

"""A lead certifies agents: pick an agent, then raise or lower their level in each skill.

Each step is written at once (one audit event per step, `domain.reviews.set_skill_level`) and
routing uses the new level for the agent's next pull. `SkillsScreen(agent_id)` opens on one
agent's skills (the lead view's agent list can use it). Steps are applied to the list as the keys
arrive and written in order, so pressing `+` three times raises three levels.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain.errors import InvalidInput
from agentdesk.domain.model import Agent
from agentdesk.domain.reviews import is_lead, known_skills, step_level
from agentdesk.domain.routing import MAX_LEVEL
from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS, desk, error_text, report_error

LEADS_ONLY = "Skill levels are changed by leads and admins only."


def level_bar(level: int) -> str:
    return "●" * level + "○" * (MAX_LEVEL - level)


def skill_line(skill: str, level: int) -> str:
    shown = str(level) if level else "—"
    return f"{skill:<16} {level_bar(level)} {shown}"


def agent_line(agent: Agent) -> str:
    return f"{agent.name} ({agent.handle}) · {agent.role.value}, {agent.tier.value}"


class SkillsScreen(ModalScreen[None]):
    HELP_TITLE = "Skill levels"

    DEFAULT_CSS = """
    SkillsScreen {
        align: center middle;
    }
    SkillsScreen > #skills-frame {
        width: 96;
        max-width: 95%;
        height: 24;
        max-height: 95%;
        border: thick $primary;
        border-title-color: $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    SkillsScreen #skills-panes {
        height: 1fr;
    }
    SkillsScreen #skills-agents {
        width: 1fr;
    }
    SkillsScreen #skills-levels {
        width: 40;
        margin-left: 1;
    }
    SkillsScreen .field-label {
        color: $text-muted;
    }
    SkillsScreen #skills-status {
        height: 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        bind(
            "skills.raise",
            "plus,equals_sign",
            "raise",
            "Raise",
            "Raise the agent's level in the highlighted skill by one (routing uses it at once)",
            key_display="+",
        ),
        bind(
            "skills.lower",
            "minus",
            "lower",
            "Lower",
            "Lower the agent's level in the highlighted skill by one (0: not certified)",
            key_display="-",
        ),
        bind(
            "skills.back",
            "escape",
            "back",
            "Back",
            "Back to the agent list, or close",
        ),
    ]

    def __init__(self, agent_id: str | None = None) -> None:
        super().__init__()
        self.agents: list[Agent] = []
        self.skills: list[str] = []
        self.chosen: Agent | None = None
        self._open_on = agent_id
        # Steps are written one after the other, in the order the keys came.
        self._writes = asyncio.Lock()

    def compose(self) -> ComposeResult:
        with Vertical(id="skills-frame") as frame:
            frame.border_title = "Skill levels"
            with Horizontal(id="skills-panes"):
                with Vertical(id="skills-agents"):
                    yield Label("Agent (enter to choose)", classes="field-label")
                    yield OptionList(id="skills-agent-list")
                with Vertical(id="skills-levels"):
                    yield Label("Skills: + raise, - lower", id="skills-of", classes="field-label")
                    yield OptionList(id="skills-skill-list")
            yield Static("", id="skills-status", markup=False)
        yield Footer()

    @property
    def agent_list(self) -> OptionList:
        return self.query_one("#skills-agent-list", OptionList)

    @property
    def skill_list(self) -> OptionList:
        return self.query_one("#skills-skill-list", OptionList)

    def on_mount(self) -> None:
        self.agent_list.focus()
        self.load_agents()

    @work(group="skills-load", exclusive=True)
    async def load_agents(self) -> None:
        app = desk(self)
        if not is_lead(app.agent):
            self.notify(LEADS_ONLY, title="Leads only", severity="warning")
            self.dismiss(None)
            return
        try:
            agents = await app.store.agents()
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="list the agents")
            return
        routes = app.store.routing_policy.routes.values()
        self.skills = known_skills(agents, [route.skill for route in routes])
        # Nobody certifies themselves: the lead's own levels are another lead's to change.
        self.agents = [agent for agent in agents if agent.id != app.agent.id]
        chosen_id = self.chosen.id if self.chosen else None
        self.agent_list.set_options(Option(agent_line(a), id=a.id) for a in self.agents)
        if self.agents:
            self.agent_list.highlighted = next(
                (i for i, a in enumerate(self.agents) if a.id == chosen_id), 0
            )
        if chosen_id is not None:
            self.chosen = next((a for a in self.agents if a.id == chosen_id), None)
            self._show_skills()
        elif self._open_on is not None:
            index = next((i for i, a in enumerate(self.agents) if a.id == self._open_on), None)
            self._open_on = None
            if index is not None:
                self.agent_list.highlighted = index
                self._choose(self.agents[index])
        self.refresh_bindings()

    @on(OptionList.OptionSelected, "#skills-agent-list")
    def _agent_chosen(self, event: OptionList.OptionSelected) -> None:
        agent = next((a for a in self.agents if a.id == event.option.id), None)
        if agent is not None:
            self._choose(agent)

    def _choose(self, agent: Agent) -> None:
        self.chosen = agent
        self.query_one("#skills-of", Label).update(f"{agent.name}: + raise, - lower")
        self._show_skills()
        self.skill_list.highlighted = 0 if self.skills else None
        self.skill_list.focus()
        self.refresh_bindings()

    def _show_skills(self) -> None:
        agent = self.chosen
        skills = self.skill_list
        highlighted = skills.highlighted
        if agent is None:
            skills.clear_options()
            return
        skills.set_options(
            Option(skill_line(skill, agent.skills.get(skill, 0)), id=skill) for skill in self.skills
        )
        if highlighted is not None and self.skills:
            skills.highlighted = min(highlighted, len(self.skills) - 1)

    def _highlighted_skill(self) -> str | None:
        index = self.skill_list.highlighted
        if self.chosen is None or index is None or not self.skills:
            return None
        return self.skills[index]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"raise", "lower"}:
            return (self.skill_list.has_focus and self._highlighted_skill() is not None) or None
        return True

    def action_raise(self) -> None:
        self._step(+1)

    def action_lower(self) -> None:
        self._step(-1)

    def _step(self, step: int) -> None:
        agent, skill = self.chosen, self._highlighted_skill()
        if agent is None or skill is None:
            return
        try:
            level = step_level(agent, skill, step)
        except InvalidInput as refused:
            self.notify(refused.message.capitalize(), severity="warning")
            return
        old = agent.skills.get(skill, 0)
        skills = {name: value for name, value in agent.skills.items() if name != skill}
        if level:
            skills[skill] = level
        self.chosen = replace(agent, skills=skills)
        self.agents = [self.chosen if a.id == agent.id else a for a in self.agents]
        self._show_skills()
        self.query_one("#skills-status", Static).update(
            f"{agent.handle}: {skill} {old} → {level}, saving…"
        )
        self.write_level(agent.id, agent.handle, skill, level)

    @work(group="skills-write")
    async def write_level(self, agent_id: str, handle: str, skill: str, level: int) -> None:
        app = desk(self)
        async with self._writes:
            try:
                await app.store.set_skill_level(
                    agent_id, skill, level, actor_id=app.agent.id, now=app.now()
                )
            except EXPECTED_ERRORS as error:
                report_error(self, error, doing=f"change {handle}'s {skill} level")
                self.query_one("#skills-status", Static).update(error_text(error))
                self.load_agents()  # show what the store has
                return
        self.query_one("#skills-status", Static).update(f"{handle}: {skill} is now {level}.")

    def action_back(self) -> None:
        if self.skill_list.has_focus:
            self.agent_list.focus()
            self.refresh_bindings()
            return
        self.dismiss(None)

"""The lead view's two small pickers: who gets a ticket, and at what priority."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from agentdesk.domain.lead_board import picker_order
from agentdesk.domain.model import Agent, Priority, TicketRow
from agentdesk.screens.dialog import DeskDialog, Invalid, field_label


def agent_choice(agent: Agent, load: int, skill: str | None) -> str:
    """`Sam Senior (senior) · 2/5 · refunds 4 · away`: load against capacity, the skill level."""
    parts = [f"{agent.name} ({agent.handle})", f"load {load}/{agent.capacity}"]
    if skill:
        parts.append(f"{skill} {agent.skills.get(skill, 0) or '—'}")
    else:
        top = sorted(agent.skills.items(), key=lambda item: (-item[1], item[0]))[:3]
        parts.append(", ".join(f"{name} {level}" for name, level in top) or "no skills")
    if not agent.available:
        parts.append("away")
    return " · ".join(parts)


class _PickerDialog(DeskDialog[TicketRow]):
    """A list to choose from; enter (or ctrl+s) writes the choice."""

    LIST_ID = "picker-list"

    def chosen_id(self) -> str | None:
        picker = self.query_one(f"#{self.LIST_ID}", OptionList)
        index = picker.highlighted
        if index is None:
            return None
        return picker.get_option_at_index(index).id

    def on_mount(self) -> None:
        self.query_one(f"#{self.LIST_ID}", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self) -> None:
        self.action_submit()

    def validate_fields(self) -> None:
        if self.chosen_id() is None:
            raise Invalid("Choose one first.", self.query_one(f"#{self.LIST_ID}", OptionList))


class AgentPicker(_PickerDialog):
    """Reassign a ticket; dismisses with the ticket's number once the store has it."""

    TITLE_TEXT = "Reassign ticket"
    HELP_TITLE = "Reassign ticket"
    SUBMIT_LABEL = "Assign"
    DOING = "reassign the ticket"

    def __init__(
        self,
        row: TicketRow,
        agents: Sequence[Agent],
        loads: Mapping[str, int],
        skill: str | None,
    ) -> None:
        super().__init__()
        self.row = row
        self.skill = skill
        # The current assignee is not offered: assigning them again would change nothing.
        candidates = [agent for agent in agents if agent.id != row.assignee_id]
        self.agents = picker_order(candidates, loads, skill)
        self.loads = loads

    def compose_fields(self) -> ComposeResult:
        need = f", needs {self.skill}" if self.skill else ""
        yield field_label(f"#{self.row.number} {self.row.subject}{need}: assign to")
        yield OptionList(
            *(
                Option(agent_choice(agent, self.loads.get(agent.id, 0), self.skill), id=agent.id)
                for agent in self.agents
            ),
            id=self.LIST_ID,
        )

    async def submit(self) -> TicketRow:
        agent_id = self.chosen_id()
        assert agent_id is not None  # checked by validate_fields
        await self.desk.store.assign(
            self.row.id, agent_id, actor_id=self.desk.agent.id, now=self.desk.now()
        )
        return self.row


class PriorityPicker(_PickerDialog):
    TITLE_TEXT = "Change priority"
    HELP_TITLE = "Change priority"
    SUBMIT_LABEL = "Set priority"
    DOING = "change the priority"

    def __init__(self, row: TicketRow) -> None:
        super().__init__()
        self.row = row

    def compose_fields(self) -> ComposeResult:
        yield field_label(
            f"#{self.row.number} is {self.row.priority.value}; its SLA due times stay as they are"
        )
        yield OptionList(
            *(
                Option(priority.value, id=priority.value, disabled=priority is self.row.priority)
                for priority in Priority
            ),
            id=self.LIST_ID,
        )

    async def submit(self) -> TicketRow:
        chosen = self.chosen_id()
        assert chosen is not None  # checked by validate_fields
        await self.desk.store.set_priority(
            self.row.id, Priority(chosen), actor_id=self.desk.agent.id, now=self.desk.now()
        )
        return self.row

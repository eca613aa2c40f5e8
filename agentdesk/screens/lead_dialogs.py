"""The lead view's small dialogs: who gets a ticket, at what priority, and where an export
goes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from agentdesk.domain.lead_board import picker_order
from agentdesk.domain.model import Agent, Priority, TicketRow
from agentdesk.screens.desk import EXPECTED_ERRORS
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


class ExportFailed(Exception):
    """The file could not be written; says which and why, for the dialog's error line."""


class ExportDialog(DeskDialog[Path]):
    """Where to write a CSV export: a path prefilled with a file in the data directory.

    Enter (or ctrl+s) writes it and dismisses with the path written; escape writes nothing. A
    path that cannot be written keeps the dialog open with the error and the typed path. A
    relative path is taken from the data directory (the default's folder).
    """

    TITLE_TEXT = "Export to CSV"
    HELP_TITLE = "Export to CSV"
    SUBMIT_LABEL = "Export"
    EXPECTED = (*EXPECTED_ERRORS, ExportFailed)
    PATH_ID = "export-path"

    def __init__(self, kind: str, default: Path, write: Callable[[Path], Awaitable[None]]) -> None:
        super().__init__()
        self.kind = kind
        self.default = default
        self.write = write
        self.DOING = f"export the {kind}"

    def compose_fields(self) -> ComposeResult:
        yield field_label(f"Write the {self.kind} to")
        yield Input(str(self.default), id=self.PATH_ID, select_on_focus=False)

    def on_mount(self) -> None:
        self.query_one(f"#{self.PATH_ID}", Input).focus()

    @on(Input.Submitted)
    def _entered(self) -> None:
        self.action_submit()

    def chosen_path(self) -> Path:
        typed = Path(self.query_one(f"#{self.PATH_ID}", Input).value.strip()).expanduser()
        return typed if typed.is_absolute() else self.default.parent / typed

    def validate_fields(self) -> None:
        field = self.query_one(f"#{self.PATH_ID}", Input)
        if not field.value.strip():
            raise Invalid("Type the file to write.", field)

    async def submit(self) -> Path:
        path = self.chosen_path()
        try:
            await self.write(path)
        except OSError as error:
            reason = error.strerror or str(error)
            raise ExportFailed(f"Cannot write {path}: {reason}. Choose another path.") from error
        return path

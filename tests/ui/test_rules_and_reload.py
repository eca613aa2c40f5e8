"""Pilot tests: reclassifying a ticket (rules may move it) and reloading the settings live."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandInput

from agentdesk.app import AgentDeskApp
from agentdesk.config import load_settings
from agentdesk.config_reload import last_good_path, load_or_fall_back
from agentdesk.domain.model import Complexity, CustomerTier, Priority
from agentdesk.domain.routing import IntentRoute, RoutingPolicy
from agentdesk.domain.transfers import TransferRule
from agentdesk.screens.help import help_entries
from agentdesk.screens.intent_picker import IntentPicker
from agentdesk.screens.queue import QueueScreen
from agentdesk.screens.ticket import TicketScreen
from agentdesk.store.memory import MemoryStore
from tests.fixtures import NOW
from tests.ui.conftest import Notes, make_settings, seeded_opener, settle
from tests.ui.ticket_harness import open_ticket

SIZE = (120, 36)
POLICY = RoutingPolicy(
    {
        "complaint": IntentRoute("logistics", "complaints", Complexity.COMPLEX, Priority.HIGH),
        "track_order": IntentRoute("logistics", "orders", Complexity.SIMPLE, Priority.LOW),
    }
)
VIP_COMPLAINTS = TransferRule(
    "vip-complaints",
    "general",
    "VIP complaint: a lead calls back today.",
    intents=frozenset({"complaint"}),
    customer_tiers=frozenset({CustomerTier.VIP}),
)


def app_with(tmp_path: Path, store: MemoryStore, **settings: object) -> AgentDeskApp:
    return AgentDeskApp(
        settings=make_settings(tmp_path, **settings),
        open_store=seeded_opener(store),
        agent_handle="senior",
        clock=lambda: NOW,
    )


# -- reclassify -------------------------------------------------------------------------------
async def test_reclassify_into_a_rule_transfers_the_ticket_and_the_audit_says_so(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    app = app_with(tmp_path, store, routing=POLICY, transfer_rules=(VIP_COMPLAINTS,))
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)  # #1: Ada (VIP), get_refund, billing
        await pilot.press("y")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, IntentPicker)
        await pilot.press("c", "o", "m", "p")
        assert picker.highlighted_intent == "complaint"
        await pilot.press("enter")
        await settle(pilot)

        assert isinstance(app.screen, QueueScreen)  # it left this agent's hands
        ticket = await store.ticket(screen.ticket_id)
        assert (ticket.intent, ticket.department_id, ticket.assignee_id) == (
            "complaint",
            "general",
            None,
        )
        assert ticket.required_skill == "complaints"
        events = await store.audit_events(ticket.id)
        assert [event.kind for event in events[-2:]] == [
            "ticket.reclassified",
            "ticket.transferred",
        ]
        assert events[-1].detail["rule"] == "vip-complaints"
        assert events[-1].detail["note"] == "VIP complaint: a lead calls back today."
        assert notes.matching(f"#{ticket.number} is now complaint and moved to General")


async def test_reclassify_without_a_rule_keeps_the_ticket_here(tmp_path: Path) -> None:
    store = MemoryStore()
    app = app_with(tmp_path, store, routing=POLICY, transfer_rules=(VIP_COMPLAINTS,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("y")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, IntentPicker)
        assert picker.highlighted_intent == "complaint"  # the current one is not offered
        await pilot.press("t", "r", "a", "c", "k", "enter")
        await settle(pilot)
        assert app.screen is screen
        ticket = await store.ticket(screen.ticket_id)
        assert (ticket.intent, ticket.department_id) == ("track_order", "billing")
        assert ticket.priority is Priority.URGENT  # never lowered by a route
        assert "intent track_order" in str(screen.query_one("#ticket-intent").render())


async def test_the_intent_key_is_listed_in_help_and_off_for_closed_tickets(
    tmp_path: Path,
) -> None:
    store = MemoryStore()
    app = app_with(tmp_path, store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        entry = next(e for e in help_entries(screen) if e.binding_id == "ticket.intent")
        assert (entry.keys, entry.enabled) == (("y",), True)
        reload_entry = [e for e in help_entries(screen) if e.binding_id == "app.reload_settings"]
        assert reload_entry and reload_entry[0].keys == ("f5",)
        ticket = await store.reply(screen.ticket_id, "Done.", author_id=app.agent.id, now=NOW)
        await store.close_confirmed(ticket.id, "fixed", "ok", actor_id=app.agent.id, now=NOW)
        screen.load_ticket()
        await settle(pilot)
        assert screen.check_action("intent", ()) is None
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)


# -- rules checked against the store ---------------------------------------------------------
async def test_rules_for_unknown_departments_are_reported_and_ignored(tmp_path: Path) -> None:
    store = MemoryStore()
    nowhere = TransferRule("to-fraud", "fraud", "n", keywords=("fraud",))
    app = app_with(tmp_path, store, transfer_rules=(nowhere, VIP_COMPLAINTS))
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert store.transfer_rules == (VIP_COMPLAINTS,)
        (warning,) = notes.matching("transfer rule 'to-fraud'")
        assert "no department 'fraud'" in warning[0] and warning[1] == "warning"


# -- reloading the settings -------------------------------------------------------------------
RULE_A = '[[transfer.rules]]\nname = "a"\ndepartment = "billing"\nintent = "x"\n'
RULE_B = '[[transfer.rules]]\nname = "b"\ndepartment = "general"\nkeywords = ["lost"]\n'


def settings_from(config: Path, data: Path):  # type: ignore[no-untyped-def]
    return load_settings(config, {"AGENTDESK_DATA_DIR": str(data)})


async def test_reload_with_a_broken_file_keeps_the_old_rules_and_names_the_key(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(RULE_A, encoding="utf-8")
    store = MemoryStore()
    app = AgentDeskApp(
        settings=settings_from(config, tmp_path / "data"),
        open_store=seeded_opener(store),
        agent_handle="senior",
        clock=lambda: NOW,
    )
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        (rule_a,) = store.transfer_rules
        before = app.settings

        config.write_text(RULE_A + 'channels = ["fax"]\n', encoding="utf-8")
        await pilot.press("f5")
        await settle(pilot)
        (error,) = notes.matching("transfer.rules[1].channels: unknown channel 'fax'")
        assert error[1] == "error"
        assert "current settings stay" in error[0]
        assert store.transfer_rules == (rule_a,)
        assert app.settings is before

        config.write_text('theme = "agentdesk-light"\n' + RULE_B, encoding="utf-8")
        await pilot.press("f5")
        await settle(pilot)
        assert [rule.name for rule in store.transfer_rules] == ["b"]
        assert app.theme == "agentdesk-light"
        assert notes.matching("Settings reloaded")
        assert "lost" in last_good_path(tmp_path / "data").read_text(encoding="utf-8")


async def test_the_palette_reloads_settings(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(RULE_A, encoding="utf-8")
    store = MemoryStore()
    app = app_with(tmp_path, store)  # its config file is tmp_path / "config.toml"
    async with app.run_test() as pilot:
        await settle(pilot)
        assert store.transfer_rules == ()
        await pilot.press("ctrl+p")
        app.screen.query_one(CommandInput).value = "reload settings"
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert [rule.name for rule in store.transfer_rules] == ["a"]


async def test_launch_on_a_broken_file_starts_with_the_last_good_one_and_warns(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    env = {"AGENTDESK_DATA_DIR": str(tmp_path / "data")}
    config.write_text(RULE_A, encoding="utf-8")
    load_or_fall_back(config, env)
    config.write_text(RULE_A + "intent = 5\n", encoding="utf-8")  # TOML: a key twice
    settings = load_or_fall_back(config, env)
    store = MemoryStore()
    app = AgentDeskApp(
        settings=settings, open_store=seeded_opener(store), agent_handle="senior", clock=lambda: NOW
    )
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert [rule.name for rule in store.transfer_rules] == ["a"]
        (warning,) = notes.matching("last good settings")
        assert "not valid TOML" in warning[0] and warning[1] == "warning"

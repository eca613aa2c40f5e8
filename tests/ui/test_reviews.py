"""Pilot tests of case reviews and skill certification, asserting on what the store recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, RadioSet, Static, TextArea

from agentdesk.app import AgentDeskApp
from agentdesk.screens.my_reviews import MyReviewsScreen
from agentdesk.screens.review import ReviewDialog
from agentdesk.screens.skills import SkillsScreen
from agentdesk.screens.ticket import TicketScreen
from tests.fixtures import NOW
from tests.ui.conftest import Notes, OpenedTickets, settle
from tests.ui.ticket_harness import open_ticket, ticket_app

SIZE = (120, 36)


async def closed_by_junior(app: AgentDeskApp, number: int = 2) -> str:
    ticket = await app.store.ticket_by_number(number)
    await app.store.assign(ticket.id, "ag-junior", actor_id="ag-junior", now=NOW)
    await app.store.close_confirmed(
        ticket.id, "sent again", "customer has it", actor_id="ag-junior", now=NOW
    )
    return ticket.id


def dialog_of(app: AgentDeskApp) -> ReviewDialog:
    screen = app.screen
    assert isinstance(screen, ReviewDialog), screen
    return screen


def error_text(dialog: ReviewDialog) -> str:
    return str(dialog.query_one("#dialog-error", Static).render())


# -- a lead reviews ---------------------------------------------------------------------------
async def test_a_lead_reviews_a_closed_ticket(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, closed_by_junior)
        await pilot.press("v")
        await settle(pilot)
        dialog = dialog_of(app)

        await pilot.press("ctrl+s")  # nothing chosen yet: refused inline, nothing written
        await settle(pilot)
        assert "Score" in error_text(dialog) and app.screen is dialog
        assert await app.store.ticket_reviews(screen.ticket_id) == []

        await pilot.press("down", "enter")  # the second button: 4
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Comment" in error_text(dialog) and app.screen is dialog
        assert dialog.query_one("#review-comment", TextArea).has_focus

        await pilot.press(*"kind")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert isinstance(app.screen, TicketScreen)
        (review,) = await app.store.ticket_reviews(screen.ticket_id)
        assert (review.score, review.comment) == (4, "kind")
        assert (review.agent_id, review.reviewer_id) == ("ag-junior", "ag-lead")


async def test_escape_keeps_the_draft_and_a_second_review_edits_the_first(
    tmp_path: Path,
) -> None:
    app = ticket_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, closed_by_junior)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("down", "down", "enter", "tab", *"meh")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert await app.store.ticket_reviews(screen.ticket_id) == []

        await pilot.press("v")
        await settle(pilot)
        dialog = dialog_of(app)
        assert dialog.query_one("#review-comment", TextArea).text == "meh"
        assert dialog.query_one("#review-score", RadioSet).pressed_button.id == "review-3"  # type: ignore[union-attr]
        await pilot.press("ctrl+s")
        await settle(pilot)
        (first,) = await app.store.ticket_reviews(screen.ticket_id)
        assert (first.score, first.comment) == (3, "meh")

        await pilot.press("v")  # opens on the saved review, and saving edits it
        await settle(pilot)
        dialog = dialog_of(app)
        assert dialog.query_one("#review-comment", TextArea).text == "meh"
        await pilot.press("up", "enter", "ctrl+s")
        await settle(pilot)
        (edited,) = await app.store.ticket_reviews(screen.ticket_id)
        assert edited.id == first.id and edited.score == 4


async def test_review_key_is_disabled_on_an_open_ticket_for_a_lead(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)  # claimed, open
        assert screen.check_action("review", ()) is None
        await pilot.press("v")
        await settle(pilot)
        assert app.screen is screen


# -- an agent is refused and sees their reviews --------------------------------------------
async def test_an_agent_pressing_the_review_key_is_told_it_is_for_leads(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="senior")
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        screen = await open_ticket(pilot, closed_by_junior)
        await pilot.press("v")
        await settle(pilot)
        assert app.screen is screen
        assert notes.matching("leads and admins only")
        assert await app.store.ticket_reviews(screen.ticket_id) == []


async def test_an_agent_sees_their_reviews(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="junior")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        opened = OpenedTickets(app)
        ticket_id = await closed_by_junior(app)
        await app.store.record_review(
            ticket_id, 5, "Textbook handling.", reviewer_id="ag-lead", now=NOW
        )
        await pilot.press("v")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MyReviewsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        assert table.get_row_at(0)[1:] == [
            "#2",
            "Where is my order?",
            "5 excellent",
            "Lee Lead",
        ]
        comment = str(screen.query_one("#reviews-comment", Static).render())
        assert "Textbook handling." in comment
        await pilot.press("enter")
        assert opened.ids == [ticket_id]


async def test_an_agent_without_reviews_is_told_so(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="senior")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        title = str(app.screen.query_one("#reviews-title", Static).render())
        assert "none yet" in title


# -- skill certification ---------------------------------------------------------------------
async def open_skills_from_the_palette(pilot) -> SkillsScreen:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"skill levels")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SkillsScreen), screen
    return screen


async def test_a_lead_lowers_a_level_and_routing_uses_it_at_once(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_skills_from_the_palette(pilot)
        assert [agent.handle for agent in screen.agents] == ["junior", "senior"]  # not self
        await pilot.press("enter")  # junior
        await settle(pilot)
        assert screen.skill_list.has_focus
        await pilot.press(*["down"] * screen.skills.index("orders"))
        await pilot.press("minus")
        await settle(pilot)

        junior = await app.store.agent_by_handle("junior")
        assert junior.skills["orders"] == 1
        (change,) = await app.store.skill_changes("ag-junior")
        assert (change.skill, change.old_level, change.new_level, change.actor_id) == (
            "orders",
            2,
            1,
            "ag-lead",
        )
        pulled = await app.store.claim_next(junior, NOW)
        assert pulled is not None and pulled.required_skill != "orders"


async def test_steps_add_up_and_stop_at_the_bounds(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        screen = await open_skills_from_the_palette(pilot)
        await pilot.press("enter")
        await pilot.press(*["down"] * screen.skills.index("refunds"))
        await pilot.press("plus", "plus", "plus")
        await settle(pilot)
        assert (await app.store.agent_by_handle("junior")).skills["refunds"] == 3
        assert len(await app.store.skill_changes("ag-junior")) == 3
        await pilot.press("minus", "minus", "minus", "minus")
        await settle(pilot)
        assert "refunds" not in (await app.store.agent_by_handle("junior")).skills
        assert notes.matching("not certified in refunds")
        assert len(await app.store.skill_changes("ag-junior")) == 6
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, SkillsScreen)


async def test_an_agent_cannot_open_skill_levels(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="senior")
    async with app.run_test(size=SIZE) as pilot:
        notes = Notes(app)
        await settle(pilot)
        app.push_screen(SkillsScreen())
        await settle(pilot)
        assert not isinstance(app.screen, SkillsScreen)
        assert notes.matching("leads and admins only")


@pytest.mark.parametrize("lowered", [False, True])
async def test_a_level_change_decides_the_agents_next_pull(tmp_path: Path, lowered: bool) -> None:
    """The junior's app started before the change; pull-next still uses the new level."""
    app = ticket_app(tmp_path, agent_handle="junior")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        opened = OpenedTickets(app)
        if lowered:  # as a lead elsewhere would, while the junior's app runs
            await app.store.set_skill_level("ag-junior", "orders", 1, actor_id="ag-lead", now=NOW)
        await pilot.press("n")
        await settle(pilot)
        (pulled_id,) = opened.ids
        pulled = await app.store.ticket(pulled_id)
        assert (pulled.number == 2) is not lowered
        assert app.agent.skills["orders"] == (1 if lowered else 2)


async def test_skill_levels_can_open_on_one_agent(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = SkillsScreen(agent_id="ag-senior")
        app.push_screen(screen)
        await settle(pilot)
        assert screen.chosen is not None and screen.chosen.handle == "senior"
        assert screen.skill_list.has_focus
        await pilot.press("plus")  # accounts, the first skill: 4 -> 5
        await settle(pilot)
        assert (await app.store.agent_by_handle("senior")).skills["accounts"] == 5


async def test_a_lead_reads_another_agents_reviews_and_an_agent_may_not(
    tmp_path: Path,
) -> None:
    for handle, allowed in (("lead", True), ("senior", False)):
        app = ticket_app(tmp_path / handle, agent_handle=handle)
        async with app.run_test(size=SIZE) as pilot:
            notes = Notes(app)
            await settle(pilot)
            ticket_id = await closed_by_junior(app)
            await app.store.record_review(ticket_id, 2, "Too slow.", reviewer_id="ag-lead", now=NOW)
            junior = await app.store.agent_by_handle("junior")
            app.push_screen(MyReviewsScreen(junior))
            await settle(pilot)
            if allowed:
                screen = app.screen
                assert isinstance(screen, MyReviewsScreen)
                title = str(screen.query_one("#reviews-title", Static).render())
                assert title.startswith("Reviews of Jamie Junior: 1")
            else:
                assert not isinstance(app.screen, MyReviewsScreen)
                assert notes.matching("Only leads and admins")

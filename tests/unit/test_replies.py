from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.model import (
    Agent,
    Channel,
    Customer,
    LinkKind,
    Message,
    MessageKind,
    Priority,
    Script,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.replies import (
    article_excerpt,
    article_reference,
    confirmation_request,
    flat_snippet,
    latest_customer_message,
    merge_links,
    message_author,
    placeholder_values,
    quote_customer,
    sla_timers,
    snippet_parts,
)
from agentdesk.domain.scripts import render, unfilled_slots
from agentdesk.domain.sla import SlaState
from tests.fixtures import NOW, SCRIPTS

AGENT = Agent("ag-1", "junior", "Jamie Junior")
ADA = Customer("cu-ada", "Ada Lovelace", "ada@example.com")


def make_ticket(**changes: object) -> Ticket:
    ticket = Ticket(
        id="t-1",
        number=42,
        subject="Refund for broken kettle",
        customer_id="cu-ada",
        department_id="billing",
        status=TicketStatus.OPEN,
        priority=Priority.URGENT,
        channel=Channel.EMAIL,
        intent="get_refund",
        created_at=NOW - timedelta(minutes=20),
        updated_at=NOW - timedelta(minutes=20),
        first_response_due=NOW + timedelta(minutes=10),
        resolution_due=NOW + timedelta(hours=3, minutes=40),
    )
    return replace(ticket, **changes)  # type: ignore[arg-type]


def message(kind: MessageKind, body: str, minutes: int, author: str | None = None) -> Message:
    return Message(f"m{minutes}", "t-1", kind, body, NOW + timedelta(minutes=minutes), author)


# -- placeholders -----------------------------------------------------------------------------
def test_placeholder_values_fill_the_refund_script_except_what_only_the_agent_knows() -> None:
    values = placeholder_values(make_ticket(), ADA, AGENT, department_name="Billing")
    rendered = render(SCRIPTS[0], values)
    assert rendered.text.startswith("Hello Ada,")
    assert "ticket #42" in rendered.text
    assert rendered.text.endswith("Jamie Junior")
    assert rendered.unfilled == ("Refund Days",)
    assert unfilled_slots(rendered.text) == ["Refund Days"]


def test_placeholder_values_without_a_customer_leave_customer_slots_unfilled() -> None:
    script = Script(
        "s", "s", "Hi {{Customer Name}} from {{Department}}", required=("Customer Name",)
    )
    rendered = render(
        script, placeholder_values(make_ticket(), None, AGENT, department_name="Billing")
    )
    assert rendered.text == "Hi {{Customer Name}} from Billing"
    assert rendered.unfilled == ("Customer Name",)


# -- confirmation request ---------------------------------------------------------------------
def test_confirmation_request_greets_by_first_name_and_names_ticket_and_fix() -> None:
    text = confirmation_request(
        customer_name="Ada Lovelace",
        ticket_number=42,
        subject="Refund for broken kettle",
        resolution="Refund  issued\nto card",
        agent_name="Jamie Junior",
    )
    assert text.startswith("Hello Ada,\n")
    assert "#42 (Refund for broken kettle)" in text
    assert "What we did: Refund issued to card" in text
    assert text.rstrip().endswith("Jamie Junior")
    assert unfilled_slots(text) == []


def test_confirmation_request_without_name_or_resolution() -> None:
    text = confirmation_request(
        customer_name=" ", ticket_number=1, subject="x", resolution="  ", agent_name="A"
    )
    assert text.startswith("Hello,\n")
    assert "What we did" not in text


# -- evidence ---------------------------------------------------------------------------------
def test_latest_customer_message_ignores_agent_messages() -> None:
    messages = [
        message(MessageKind.CUSTOMER, "first", 0),
        message(MessageKind.CUSTOMER, "second", 5),
        message(MessageKind.REPLY, "reply", 10, "ag-1"),
    ]
    found = latest_customer_message(messages)
    assert found is not None and found.body == "second"
    assert latest_customer_message([messages[2]]) is None


def test_quote_customer_flattens_and_shortens() -> None:
    quoted = quote_customer(message(MessageKind.CUSTOMER, "Works\n\nnow, thanks!", 5))
    assert quoted == 'Customer wrote on 2026-11-20 09:05: "Works now, thanks!"'
    long = quote_customer(message(MessageKind.CUSTOMER, "a" * 500, 0), limit=10)
    assert long.endswith('"aaaaaaaaa…"')


# -- knowledge base ---------------------------------------------------------------------------
def test_excerpt_skips_the_heading_and_takes_the_first_paragraph() -> None:
    body = "# Reset a Password\n\nSend the reset\nlink to the email.\n\nSecond paragraph."
    assert article_excerpt(body) == "Send the reset link to the email."


def test_excerpt_prefers_the_steps_list() -> None:
    body = "# Refund\n\nIntro text.\n\n1. Ask the reason\n2. Validate\n\n- later list"
    assert article_excerpt(body) == "1. Ask the reason\n2. Validate"


def test_excerpt_of_empty_or_heading_only_article_is_empty() -> None:
    assert article_excerpt("") == ""
    assert article_excerpt("# Only a title\n") == ""


def test_excerpt_is_limited() -> None:
    assert article_excerpt("word " * 400, limit=20).endswith("…")
    assert len(article_excerpt("word " * 400, limit=20)) == 20


def test_article_reference_names_title_and_id() -> None:
    assert article_reference("Reset a Password", "kb-password") == (
        'See our help article "Reset a Password" (ref. kb-password).'
    )


def test_snippet_parts_mark_matches() -> None:
    assert snippet_parts("Ask for the [b]refund[/b] reason [b]refund[/b]") == [
        ("Ask for the ", False),
        ("refund", True),
        (" reason ", False),
        ("refund", True),
    ]


def test_snippet_parts_keep_other_brackets_literal_and_tolerate_bad_marks() -> None:
    assert snippet_parts("[red]x[/red] [b]y") == [("[red]x[/red] ", False), ("y", True)]
    assert snippet_parts("[/b]plain") == [("plain", False)]
    assert snippet_parts("") == []


@given(st.text())
def test_snippet_parts_lose_no_text_but_the_marks(snippet: str) -> None:
    joined = "".join(text for text, _ in snippet_parts(snippet))
    assert joined == re.sub(r"\[/?b\]", "", snippet)


# -- links ------------------------------------------------------------------------------------
def test_merge_links_keeps_first_of_each_kind_and_ref() -> None:
    a = TicketLink(LinkKind.ARTICLE, "kb-1", "One")
    a_again = TicketLink(LinkKind.ARTICLE, "kb-1", "Renamed")
    s = TicketLink(LinkKind.SCRIPT, "kb-1", "Same id, other kind")
    assert merge_links([a], [a_again, s], []) == (a, s)


# -- conversation -----------------------------------------------------------------------------
def test_message_author_names_customer_agent_and_system() -> None:
    names = {"ag-1": "Jamie Junior"}
    customer = message(MessageKind.CUSTOMER, "hi", 0)
    reply = message(MessageKind.REPLY, "hello", 1, "ag-1")
    unknown = message(MessageKind.NOTE, "n", 2, "ag-x")
    system = message(MessageKind.SYSTEM, "s", 3)
    assert message_author(customer, customer_name="Ada", agent_names=names) == "Ada"
    assert message_author(customer, customer_name="", agent_names=names) == "Customer"
    assert message_author(reply, customer_name="Ada", agent_names=names) == "Jamie Junior"
    assert message_author(unknown, customer_name="Ada", agent_names=names) == "ag-x"
    assert message_author(system, customer_name="Ada", agent_names=names) == "System"


# -- SLA timers -------------------------------------------------------------------------------
def test_timers_count_down_while_running() -> None:
    first, resolution = sla_timers(make_ticket(), NOW)
    assert (first.label, first.state, first.text) == (
        "First response",
        SlaState.OK,
        "10m left",
    )
    assert (resolution.state, resolution.text) == (SlaState.OK, "3h40m left")


def test_timers_warn_in_the_last_quarter() -> None:
    first, _ = sla_timers(make_ticket(), NOW + timedelta(minutes=3))
    assert (first.state, first.text) == (SlaState.WARNING, "7m left")


def test_timers_show_overdue() -> None:
    first, _ = sla_timers(make_ticket(), NOW + timedelta(minutes=25))
    assert (first.state, first.text) == (SlaState.BREACHED, "overdue 15m")


def test_answered_first_response_is_met_or_late() -> None:
    on_time = make_ticket(first_response_at=NOW + timedelta(minutes=5))
    late = make_ticket(first_response_at=NOW + timedelta(minutes=30))
    assert sla_timers(on_time, NOW + timedelta(hours=1))[0].text == "met 09:05"
    assert sla_timers(on_time, NOW + timedelta(hours=1))[0].state is SlaState.MET
    assert sla_timers(late, NOW + timedelta(hours=1))[0].text == "late by 20m"
    assert sla_timers(late, NOW + timedelta(hours=1))[0].state is SlaState.BREACHED


def test_resolution_stops_when_closed() -> None:
    closed = make_ticket(status=TicketStatus.CLOSED, closed_at=NOW + timedelta(hours=1))
    _, resolution = sla_timers(closed, NOW + timedelta(days=3))
    assert (resolution.state, resolution.text) == (SlaState.MET, "met 10:00")


def test_timers_without_targets() -> None:
    ticket = make_ticket(first_response_due=None, resolution_due=None)
    assert [t.text for t in sla_timers(ticket, NOW)] == ["no target", "no target"]


def test_flat_snippet_drops_heading_marks_and_newlines() -> None:
    assert (
        flat_snippet("# Initiate [b]Refund[/b]\n\nAsk  for it")
        == "Initiate [b]Refund[/b] Ask for it"
    )
    assert flat_snippet("## a\n### b") == "a b"
    assert flat_snippet("#hashtag stays") == "#hashtag stays"

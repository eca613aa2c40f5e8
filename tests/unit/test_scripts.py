"""`{{Placeholder}}` scripts: slot names, rendering and the ready-to-send check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.errors import DomainError, MissingPlaceholders
from agentdesk.domain.model import Script
from agentdesk.domain.scripts import (
    RenderedScript,
    check_ready,
    placeholder_key,
    placeholders,
    render,
    ticket_values,
    unfilled_slots,
)


@pytest.mark.parametrize(
    "name",
    [
        "customer_name",
        "Customer Name",
        "customer-name",
        "CUSTOMER_NAME",
        "  Customer   Name  ",
        "customer - name",
        "Customer\tName",
    ],
)
def test_placeholder_key_normalises_spelling(name: str) -> None:
    assert placeholder_key(name) == "customer_name"


def test_placeholder_key_keeps_distinct_names_distinct() -> None:
    assert placeholder_key("order id") != placeholder_key("orderid")


@given(st.text(alphabet="aBc -_\t", max_size=20))
def test_placeholder_key_is_idempotent(name: str) -> None:
    key = placeholder_key(name)
    assert placeholder_key(key) == key
    assert " " not in key
    assert "-" not in key


def test_placeholders_in_order_of_first_appearance_without_duplicates() -> None:
    text = "Hi {{Customer Name}}, about {{ order_id }} ({{customer-name}}) and {{Order Id}}."
    assert placeholders(text) == ["Customer Name", "order_id"]


@pytest.mark.parametrize(
    "text",
    ["", "no slots here", "single {braces} only", "{{}}", "{ {spaced} }", "{{broken}"],
)
def test_text_without_placeholders(text: str) -> None:
    assert placeholders(text) == []


SCRIPT = Script(
    id="sc-refund",
    name="Refund issued",
    body=(
        "Hi {{Customer First Name}},\n"
        "your refund for order {{Order ID}} is on its way{{ eta }}.\n"
        "Reference {{order-id}}. {{Agent Name}}"
    ),
    required=("order_id",),
)


def test_render_fills_known_slots_by_normalised_key() -> None:
    rendered = render(
        SCRIPT,
        {
            "customer_first_name": "Ada",
            "order id": "A-17",
            "Eta": ", due Friday",
            "AGENT-NAME": "Sam",
        },
    )
    assert rendered == RenderedScript(
        "Hi Ada,\nyour refund for order A-17 is on its way, due Friday.\nReference A-17. Sam", ()
    )
    check_ready(rendered.text)


def test_render_drops_optional_unknown_slots() -> None:
    rendered = render(SCRIPT, {"order_id": "A-17", "customer_first_name": "Ada"})
    assert rendered.text == "Hi Ada,\nyour refund for order A-17 is on its way.\nReference A-17. "
    assert rendered.unfilled == ()


def test_render_keeps_required_unknown_slots_and_lists_them_once() -> None:
    rendered = render(SCRIPT, {"customer_first_name": "Ada", "agent_name": "Sam"})
    assert rendered.text == (
        "Hi Ada,\nyour refund for order {{Order ID}} is on its way.\nReference {{order-id}}. Sam"
    )
    assert rendered.unfilled == ("Order ID",)
    with pytest.raises(MissingPlaceholders) as raised:
        check_ready(rendered.text)
    assert raised.value.names == ["Order ID"]


def test_render_treats_an_empty_value_as_unknown() -> None:
    rendered = render(SCRIPT, {"order_id": "", "eta": ""})
    assert rendered.unfilled == ("Order ID",)
    assert "{{ eta }}" not in rendered.text
    assert "{{Order ID}}" in rendered.text


def test_required_names_are_normalised_too() -> None:
    script = Script("s", "s", "Case {{case_number}}", required=("Case Number",))
    rendered = render(script, {})
    assert rendered.text == "Case {{case_number}}"
    assert rendered.unfilled == ("case_number",)


def test_render_leaves_text_without_slots_alone() -> None:
    script = Script("s", "s", "Thanks for waiting.")
    assert render(script, {"x": "y"}) == RenderedScript("Thanks for waiting.", ())


def test_render_does_not_fill_slots_inside_values() -> None:
    script = Script("s", "s", "Hi {{name}}")
    assert render(script, {"name": "{{agent_name}}", "agent_name": "Sam"}).text == (
        "Hi {{agent_name}}"
    )


def test_check_ready_accepts_plain_text() -> None:
    check_ready("All done, thanks!")
    assert unfilled_slots("All done, thanks!") == []


def test_check_ready_names_every_unfilled_slot() -> None:
    with pytest.raises(MissingPlaceholders, match="fill in: first_name, Order ID") as raised:
        check_ready("Hi {{first_name}}, order {{Order ID}} / {{first-name}}")
    assert raised.value.names == ["first_name", "Order ID"]
    assert isinstance(raised.value, DomainError)


def test_ticket_values() -> None:
    values = ticket_values(
        customer_name="Ada Lovelace", ticket_number=42, agent_name="Sam Senior", subject="Refund"
    )
    assert values == {
        "customer_name": "Ada Lovelace",
        "customer_first_name": "Ada",
        "first_name": "Ada",
        "name": "Ada Lovelace",
        "ticket_number": "#42",
        "agent_name": "Sam Senior",
        "subject": "Refund",
    }


def test_ticket_values_extras_add_and_override() -> None:
    values = ticket_values(
        customer_name="Ada",
        ticket_number=1,
        agent_name="Sam",
        subject="s",
        order_id="A-1",
        name="X",
    )
    assert values["order_id"] == "A-1"
    assert values["name"] == "X"
    assert values["first_name"] == "Ada"


@pytest.mark.parametrize("blank", ["", "   "])
def test_ticket_values_without_a_customer_name(blank: str) -> None:
    values = ticket_values(customer_name=blank, ticket_number=1, agent_name="Sam", subject="s")
    assert values["first_name"] == ""
    assert values["customer_first_name"] == ""


def test_ticket_values_fill_a_script_end_to_end() -> None:
    script = Script(
        "s", "s", "Dear {{Customer First Name}}, ticket {{Ticket Number}}. {{Agent Name}}"
    )
    values = ticket_values(
        customer_name="Bob Marley", ticket_number=1007, agent_name="Jamie", subject="s"
    )
    rendered = render(script, values)
    assert rendered.text == "Dear Bob, ticket #1007. Jamie"
    check_ready(rendered.text)

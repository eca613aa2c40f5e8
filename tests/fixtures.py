"""A small, fixed data set shared by store, UI and snapshot tests (fixed ids and clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import (
    Agent,
    AgentTier,
    Channel,
    Customer,
    CustomerTier,
    Department,
    KbArticle,
    Priority,
    Role,
    Script,
)
from agentdesk.store.base import Store

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

DEPARTMENTS = [
    Department("general", "General"),
    Department("billing", "Billing"),
    Department("technical", "Technical"),
    Department("logistics", "Logistics"),
]

AGENTS = [
    Agent(
        "ag-junior",
        "junior",
        "Jamie Junior",
        Role.AGENT,
        AgentTier.JUNIOR,
        {"orders": 2, "accounts": 2},
    ),
    Agent(
        "ag-senior",
        "senior",
        "Sam Senior",
        Role.AGENT,
        AgentTier.SENIOR,
        {"orders": 4, "accounts": 4, "refunds": 4, "complaints": 4},
    ),
    Agent(
        "ag-lead",
        "lead",
        "Lee Lead",
        Role.LEAD,
        AgentTier.EXPERT,
        {"orders": 5, "refunds": 5, "complaints": 5},
    ),
]

CUSTOMERS = [
    Customer("cu-ada", "Ada Lovelace", "ada@example.com", tier=CustomerTier.VIP),
    Customer("cu-bob", "Bob Marley", "bob@example.com"),
    Customer("cu-cy", "Cy Twombly", "cy@example.com"),
    Customer("cu-di", "Di Prima", "di@example.com"),
]

ARTICLES = [
    KbArticle(
        "kb-refund",
        "Initiate Refund",
        "# Initiate Refund\n\nAsk for the refund reason, validate the purchase, then offer the refund.",
        "get_refund",
    ),
    KbArticle(
        "kb-track",
        "Track an Order",
        "# Track an Order\n\nLook up the order id and share the shipping status with the customer.",
        "track_order",
    ),
    KbArticle(
        "kb-password",
        "Reset a Password",
        "# Reset a Password\n\nSend the password reset link to the email on file.",
        "recover_password",
    ),
]

SCRIPTS = [
    Script(
        "sc-refund",
        "Refund started",
        "Hello {{Customer First Name}},\n\nI have started the refund for ticket {{Ticket Number}}. It reaches you within {{Refund Days}} days.\n\n{{Agent Name}}",
        "get_refund",
        ("Validate purchase", "Offer refund"),
        ("Customer First Name", "Ticket Number", "Refund Days"),
    ),
    Script(
        "sc-track",
        "Order on its way",
        "Hi {{Customer First Name}}, your order is on its way. {{Optional Tracking Link}}\n\n{{Agent Name}}",
        "track_order",
        ("Look up order",),
        ("Customer First Name",),
    ),
]

TICKETS = [
    NewTicket(
        "Refund for broken kettle",
        "My kettle arrived broken, I want my money back.",
        "cu-ada",
        "billing",
        Priority.URGENT,
        Channel.EMAIL,
        "get_refund",
        "refunds",
        NOW - timedelta(minutes=20),
    ),
    NewTicket(
        "Where is my order?",
        "Order 1234 has not arrived yet.",
        "cu-bob",
        "logistics",
        Priority.HIGH,
        Channel.CHAT,
        "track_order",
        "orders",
        NOW - timedelta(minutes=50),
    ),
    NewTicket(
        "Cannot log in",
        "I forgot my password and the reset mail never came.",
        "cu-cy",
        "technical",
        Priority.NORMAL,
        Channel.WEB,
        "recover_password",
        "accounts",
        NOW - timedelta(hours=2),
    ),
    NewTicket(
        "Complaint about courier",
        "The courier was rude and left the parcel in the rain.",
        "cu-di",
        "logistics",
        Priority.HIGH,
        Channel.PHONE,
        "complaint",
        "complaints",
        NOW - timedelta(hours=3),
    ),
    NewTicket(
        "Invoice copy",
        "Could you send me a copy of my last invoice?",
        "cu-bob",
        "billing",
        Priority.LOW,
        Channel.EMAIL,
        "get_invoice",
        None,
        NOW - timedelta(hours=30),
    ),
    NewTicket(
        "Change delivery address",
        "Please ship order 998 to my office instead.",
        "cu-ada",
        "logistics",
        Priority.NORMAL,
        Channel.SOCIAL,
        "change_shipping_address",
        "orders",
        NOW - timedelta(hours=5),
    ),
]


async def seed(store: Store) -> None:
    await store.add_departments(DEPARTMENTS)
    await store.add_agents(AGENTS)
    await store.add_customers(CUSTOMERS)
    await store.add_articles(ARTICLES)
    await store.add_scripts(SCRIPTS)
    await store.add_tickets(TICKETS, now=NOW)

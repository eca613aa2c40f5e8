"""Regenerate `agentdesk/demo_data/` from the shared public datasets.

Usage: python scripts/build_demo_data.py [--source /work/shared/data] [--target agentdesk/demo_data]

The output is deterministic (same input, same bytes), so the committed files can be checked by
running this again and looking at `git diff`. The record fields are the ones `agentdesk import`
reads (see agentdesk/transfer.py), so a user can also import these files into any store.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")

# -- bitext: which placeholders stay slots, and under which name ------------------------------
# Company-wide values an agent (or, later, a setting) fills in; synonyms folded into one name.
COMPANY_SLOTS = {
    "Website Name": "Website Name",
    "Website URL": "Website URL",
    "Company Name": "Company Name",
    "Customer Support Phone Number": "Customer Support Phone Number",
    "Customer Support Phone Number Anonymized": "Customer Support Phone Number",
    "Customer Service Phone Number": "Customer Support Phone Number",
    "Support Phone Number": "Customer Support Phone Number",
    "Customer Support Email": "Customer Support Email",
    "Customer Support Email Address": "Customer Support Email",
    "Support Email": "Customer Support Email",
    "Customer Support Availability": "Customer Support Hours",
    "Customer Support Hours": "Customer Support Hours",
    "Customer Service Hours": "Customer Support Hours",
}
# Case-specific values the agent must look up for this customer.
CASE_SLOTS = {
    "Order Number Anonymized": "Order Number",
    "Order ID Anonymized": "Order Number",
    "Purchase ID Anonymized": "Order Number",
    "Invoice Number Anonymized": "Invoice Number",
    "Bill Number Anonymized": "Invoice Number",
}
# The request's tagged entity, replaced by a slot wherever the response repeats it.
ENTITY_SLOTS = {
    "order_id": "Order Number",
    "invoice_id": "Invoice Number",
    "person_name": "Customer Name",
    "refund_amount": "Refund Amount",
    "account_type": "Account Type",
    "delivery_city": "City",
    "delivery_country": "Country",
}
# Everything else in a bitext response is the label of a button or page of the (fictional)
# website, e.g. {{Order Details}}: written out as text, since no agent fills those per ticket.
REJECT = "\x00reject"  # marks a placeholder that is prose, not a label or a value
GREETING = "Hi {{Customer First Name}},\n\n"
SIGN_OFF = "\n\nBest regards,\n{{Agent Name}}"
NUMBERED = re.compile(r"^\s*\d+\.\s+(.*\S)\s*$")
# Some responses write slots as `[Customer Support Phone Number]`; those become `{{...}}` too.
BRACKETED = re.compile(r"\[([A-Za-z][A-Za-z /]{2,40})\]")
# Specifics of one request that would leak into every reply: amounts, order numbers, e-mail
# addresses, dates. A response containing one is not used.
SPECIFIC = re.compile(
    r"\$\s?\d|\d{3,}|@|\b(January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\b"
    # "an account for your fiancé": the request's people.
    r"|\b(bride|groom|fianc\w*|wife|husband|son|daughter|friend|mom|dad|mother|father|brother|"
    r"sister|boyfriend|girlfriend|colleague|kids?|children|family member)\b",
    re.IGNORECASE,
)
# Picked by the rules below but too tied to their request (or off topic) to serve as a
# template; reviewed by hand.
EXCLUDED_ROWS = {
    "bx-02548",  # "as a Customer Service Scientist"
    "bx-03204",  # place_order answered with a loyalty programme
    "bx-01891",  # "your premium account"
    "bx-00999",  # placeholders that are instructions to the writer
}

# -- abcd: a reply per flow, the slot naming what the agent did -------------------------------
FLOW_REPLIES = {
    "product_defect": "I have taken care of this for order {{Order ID}}: {{Outcome}}.",
    "order_issue": "I have checked order {{Order ID}}: {{Outcome}}.",
    "account_access": "I have verified your identity, and {{Outcome}}.",
    "troubleshoot_site": "Please try this and let me know whether it helps: {{Fix}}",
    "manage_account": "I have updated your account: {{Outcome}}.",
    "purchase_dispute": "I have reviewed order {{Order ID}}: {{Outcome}}.",
    "shipping_issue": "I have looked into the shipment of order {{Order ID}}: {{Outcome}}.",
    "subscription_inquiry": "I have checked your subscription: {{Outcome}}.",
    "single_item_query": "{{Answer}}",
    "storewide_query": "{{Answer}}",
}
# abcd subflow -> the bitext intents (used by the demo tickets) the guideline helps with.
RELATED_INTENTS = {
    "refund_initiate": ("get_refund",),
    "refund_update": ("get_refund", "track_refund"),
    "refund_status": ("track_refund",),
    "return_stain": ("get_refund", "check_refund_policy"),
    "return_color": ("get_refund", "check_refund_policy"),
    "return_size": ("get_refund", "check_refund_policy"),
    "status_mystery_fee": ("check_invoice", "payment_issue"),
    "status_delivery_time": ("delivery_period", "track_order"),
    "status_payment_method": ("check_payment_methods",),
    "status_quantity": ("change_order",),
    "manage_upgrade": ("change_order",),
    "manage_downgrade": ("change_order",),
    "manage_create": ("place_order",),
    "manage_cancel": ("cancel_order", "check_cancellation_fee"),
    "recover_username": ("recover_password", "registration_problems"),
    "recover_password": ("recover_password",),
    "reset_2fa": ("recover_password",),
    "credit_card": ("payment_issue", "check_payment_methods"),
    "shopping_cart": ("place_order",),
    "search_results": ("place_order",),
    "slow_speed": ("contact_customer_service",),
    "status_service_added": ("edit_account",),
    "status_service_removed": ("edit_account",),
    "status_shipping_question": ("delivery_options",),
    "status_credit_missing": ("track_refund",),
    "manage_change_address": ("change_shipping_address", "set_up_shipping_address"),
    "manage_change_name": ("edit_account",),
    "manage_change_phone": ("edit_account",),
    "manage_payment_method": ("check_payment_methods",),
    "bad_price_competitor": ("complaint", "get_refund"),
    "bad_price_yesterday": ("complaint", "get_refund"),
    "out_of_stock_general": ("place_order",),
    "out_of_stock_one_item": ("place_order",),
    "promo_code_invalid": ("payment_issue",),
    "promo_code_out_of_date": ("payment_issue",),
    "mistimed_billing_already_returned": ("payment_issue", "check_invoice"),
    "mistimed_billing_never_bought": ("payment_issue", "check_invoice"),
    "status": ("track_order",),
    "manage": ("change_shipping_address",),
    "missing": ("track_order", "complaint"),
    "cost": ("delivery_options",),
    "status_active": ("edit_account",),
    "status_due_amount": ("check_invoice",),
    "status_due_date": ("check_invoice",),
    "manage_pay_bill": ("payment_issue",),
    "manage_extension": ("payment_issue",),
    "manage_dispute_bill": ("payment_issue", "complaint"),
    "boots": (),
    "shirt": (),
    "jeans": (),
    "jacket": (),
    "pricing": ("check_payment_methods",),
    "membership": ("edit_account",),
    "timing": ("delivery_period",),
    "policy": ("check_refund_policy",),
}


def write_jsonl(path: Path, records: Iterable[dict[str, object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count


def humanise(intent: str) -> str:
    return intent.replace("_", " ").capitalize()


# -- bitext ------------------------------------------------------------------------------------
def template_from_response(row: dict[str, str]) -> str | None:
    """The response as a reply template, or None if it cannot be made generic."""
    if row["id"] in EXCLUDED_ROWS:
        return None
    response = row["response"].replace("\r\n", "\n").strip()
    text = BRACKETED.sub(lambda m: "{{" + m.group(1).strip().title() + "}}", response)
    entity = row["entity_value"].strip()
    if row["entity_type"] and entity:
        slot = ENTITY_SLOTS.get(row["entity_type"])
        if slot is None:
            return None
        pattern = re.compile(rf"(?<!\w){re.escape(entity)}(?!\w)", re.IGNORECASE)
        text = pattern.sub("{{" + slot + "}}", text)

    def rewrite(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in COMPANY_SLOTS:
            return "{{" + COMPANY_SLOTS[name] + "}}"
        if name in CASE_SLOTS:
            return "{{" + CASE_SLOTS[name] + "}}"
        if name in ENTITY_SLOTS.values():
            return match.group(0)
        if name.lower() == "live chat":
            return "live chat"
        if len(name.split()) > 3:
            return "{{" + REJECT + "}}"
        return f'"{name}"'

    text = PLACEHOLDER.sub(rewrite, text)
    if REJECT in text or SPECIFIC.search(PLACEHOLDER.sub("", text)) or '""' in text:
        return None
    return text


def response_steps(template: str) -> tuple[str, ...]:
    return tuple(m.group(1) for line in template.splitlines() if (m := NUMBERED.match(line)))


def slots(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def pick_bitext_scripts(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Per intent: the best step-by-step response and the best short one."""
    by_intent: dict[str, list[tuple[dict[str, str], str]]] = defaultdict(list)
    for row in rows:
        template = template_from_response(row)
        if template is not None:
            by_intent[row["intent"]].append((row, template))
    scripts: list[dict[str, object]] = []
    for intent in sorted(by_intent):
        candidates = by_intent[intent]

        def score(item: tuple[dict[str, str], str], ideal: int) -> tuple[int, int, str]:
            row, template = item
            # Fewer slots to fill first, then a length close to a readable reply.
            return (len(slots(template)), abs(len(template) - ideal), row["id"])

        stepwise = [c for c in candidates if len(response_steps(c[1])) >= 3]
        short = [c for c in candidates if not response_steps(c[1]) and len(c[1]) < 700]
        chosen: list[tuple[str, tuple[dict[str, str], str]]] = []
        if stepwise:
            chosen.append(("step by step", min(stepwise, key=lambda c: score(c, 600))))
        if short:
            chosen.append(("short answer", min(short, key=lambda c: score(c, 450))))
        for label, (row, template) in chosen:
            body = GREETING + template + SIGN_OFF
            scripts.append(
                {
                    # The id names the source row: provenance without an extra field.
                    "id": f"demo-script-{intent}-{row['id']}",
                    "name": f"{humanise(intent)}: {label}",
                    "body": body,
                    "intent": intent,
                    "steps": list(response_steps(template)),
                    "required": slots(body),
                }
            )
    return scripts


def build_bitext(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with (source / "train.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Bitext tags rows written with offensive language "W"; a demo should not open on those.
    requests = (
        {"id": r["id"], "text": r["text"].strip(), "intent": r["intent"], "category": r["category"]}
        for r in rows
        if "W" not in r["tags"]
    )
    n_requests = write_jsonl(target / "requests.jsonl", requests)
    scripts = pick_bitext_scripts(rows)
    n_scripts = write_jsonl(target / "scripts.jsonl", scripts)
    for name in ("ATTRIBUTION.md", "LICENSE.txt"):
        shutil.copyfile(source / name, target / name)
    (target / "NOTICE.md").write_text(
        BITEXT_NOTICE.format(requests=n_requests, scripts=n_scripts), encoding="utf-8"
    )


BITEXT_NOTICE = """\
# NOTICE OF CHANGES (CDLA-Sharing-1.0 §3.1(b))

The files in this folder are derived from the Bitext customer-support sample dataset
(© Bitext Innovations, https://github.com/bitext/customer-support-llm-chatbot-training-dataset),
as prepared in `ATTRIBUTION.md`, and are published under CDLA-Sharing-1.0 (`LICENSE.txt`).
The agentdesk project changed them as follows (script: `scripts/build_demo_data.py`):

- `requests.jsonl` ({requests} lines): the `train.csv` rows not tagged `W` (offensive
  language), reduced to `id`, `text`, `intent`, `category`; the text is stripped of surrounding whitespace. agentdesk's demo turns these into
  tickets from generated fictional customers.
- `scripts.jsonl` ({scripts} lines): for each intent, up to two `response` texts chosen
  mechanically (fewest placeholders, readable length) and rewritten as reply templates: the
  request's tagged entity (order number, amount, ...) replaced by a `{{{{placeholder}}}}`;
  slots written as `[Name]` rewritten as `{{{{Name}}}}`;
  placeholder synonyms merged (e.g. `{{{{Support Phone Number}}}}` -> `{{{{Customer Support
  Phone Number}}}}`, `{{{{Order Number Anonymized}}}}` -> `{{{{Order Number}}}}`); placeholders
  that name a button or page of the website written out as quoted text; a greeting
  (`Hi {{{{Customer First Name}}}},`) and a sign-off (`{{{{Agent Name}}}}`) added; numbered list items
  copied into `steps`; line endings made `\\n`. Responses that name a specific amount, date, address or person of the
  original request were skipped. Each script's `id` ends with the original row id.
"""


# -- abcd --------------------------------------------------------------------------------------
def build_abcd(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with (source / "kb_articles.jsonl").open(encoding="utf-8") as handle:
        guidelines = [json.loads(line) for line in handle if line.strip()]
    articles: list[dict[str, object]] = []
    scripts: list[dict[str, object]] = []
    for guide in guidelines:
        subflow = guide["subflow"]
        tags = [guide["flow"], *RELATED_INTENTS[subflow]]
        articles.append(
            {
                "id": f"demo-kb-{guide['flow']}-{subflow}",
                "title": guide["title"],
                "body": guide["body"].strip() + "\n",
                "intent": subflow,
                "tags": tags,
            }
        )
        body = (
            f"{GREETING}Thank you for contacting us. "
            f"{FLOW_REPLIES[guide['flow']]}\n\n"
            "Is there anything else I can help you with today?"
            f"{SIGN_OFF}"
        )
        steps = [step["text"].strip() or step["button"] for step in guide["steps"]]
        scripts.append(
            {
                "id": f"demo-script-{guide['flow']}-{subflow}",
                "name": guide["title"],
                "body": body,
                "intent": subflow,
                "steps": steps,
                "required": slots(body),
            }
        )
    n_articles = write_jsonl(target / "articles.jsonl", articles)
    n_scripts = write_jsonl(target / "scripts.jsonl", scripts)
    for name in ("ATTRIBUTION.md", "LICENSE.txt"):
        shutil.copyfile(source / name, target / name)
    (target / "NOTICE.md").write_text(
        ABCD_NOTICE.format(articles=n_articles, scripts=n_scripts), encoding="utf-8"
    )


ABCD_NOTICE = """\
# Changes made by agentdesk

Derived from the ABCD Agent Guidelines (Copyright (c) 2021 ASAPP Research, MIT licence, see
`LICENSE.txt` and `ATTRIBUTION.md`). Script: `scripts/build_demo_data.py`.

- `articles.jsonl` ({articles} lines): one knowledge-base article per guideline (subflow): the
  rendered markdown `body` unchanged; `intent` is the subflow; `tags` are the flow plus the
  agentdesk demo intents the guideline helps with (our own mapping).
- `scripts.jsonl` ({scripts} lines): one standard script per guideline: `steps` are the
  guideline's step texts; `body` is a short reply template written by agentdesk (greeting,
  one sentence per flow with a slot for what the agent did, sign-off).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--target", type=Path, default=REPO / "agentdesk" / "demo_data")
    args = parser.parse_args()
    build_bitext(args.source / "bitext_customer_support", args.target / "bitext")
    build_abcd(args.source / "abcd", args.target / "abcd")


if __name__ == "__main__":
    main()

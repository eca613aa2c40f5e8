"""Knowledge-base search helpers: safe FTS5 queries and snippets as Textual markup.

Backend-neutral (stdlib only): the memory and SQLite stores share these rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"\w+")

# snippet() wraps matches in these; they cannot be confused with `[` in article text.
SNIPPET_OPEN = "\x01"
SNIPPET_CLOSE = "\x02"

_ZERO_WIDTH_SPACE = "\u200b"


# A shorter last word matches whole words only: "a" or "th" as prefixes would match nearly
# every article, and expanding them costs far more than it helps someone still typing.
MIN_PREFIX = 3


def query_words(text: str) -> list[str]:
    """The words the user typed, lower-cased; punctuation and operators are dropped."""
    return [word.lower() for word in WORD.findall(text) if any(ch.isalnum() for ch in word)]


def last_is_prefix(words: list[str], text: str = "") -> bool:
    """Whether the last word counts as a prefix: the user is still typing it.

    A space after it means the word is finished, and a whole word is matched: cheaper than a
    prefix (no merging of every word it starts) and what the user meant.
    """
    return bool(words) and len(words[-1]) >= MIN_PREFIX and not text[-1:].isspace()


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression for what the user typed, or None when nothing is searchable.

    Each word becomes a quoted string, so `AND`, `-`, `*`, `(` are plain words, never syntax;
    every word must match, and the last one as a prefix (see MIN_PREFIX).
    """
    words = query_words(text)
    if not words:
        return None
    quoted = [f'"{word}"' for word in words]
    if last_is_prefix(words, text):
        quoted[-1] += "*"
    return " ".join(quoted)


def escape_markup(text: str) -> str:
    # Textual reads `\[` as a literal bracket and has no other escape, so this round-trips.
    return text.replace("[", "\\[")


def segments_to_markup(segments: Iterable[tuple[str, bool]]) -> str:
    """Join (text, bold) pieces into Textual markup with `[b]`…`[/b]` around the bold ones."""
    out: list[str] = []
    for text, bold in segments:
        if not text:
            continue
        if bold:
            _append_tag(out, "[b]")
            out.append(escape_markup(text))
            _append_tag(out, "[/b]")
        else:
            out.append(escape_markup(text))
    return "".join(out)


def _append_tag(out: list[str], tag: str) -> None:
    # A backslash right before a tag would escape it; an invisible space keeps them apart.
    if out and out[-1].endswith("\\"):
        out.append(_ZERO_WIDTH_SPACE)
    out.append(tag)


def snippet_to_markup(snippet: str) -> str:
    """Turn an FTS5 snippet (matches between SNIPPET_OPEN/CLOSE) into safe Textual markup."""
    segments: list[tuple[str, bool]] = []
    bold = False
    current: list[str] = []
    for char in snippet:
        if char == SNIPPET_OPEN and not bold:
            segments.append(("".join(current), False))
            current, bold = [], True
        elif char == SNIPPET_CLOSE and bold:
            segments.append(("".join(current), True))
            current, bold = [], False
        elif char not in (SNIPPET_OPEN, SNIPPET_CLOSE):
            current.append(char)
    segments.append(("".join(current), bold))
    return segments_to_markup(segments)

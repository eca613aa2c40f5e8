"""Search the knowledge base while working a ticket and put an article into the reply.

Search runs as you type (debounced; one exclusive worker; an answer for an older query is
dropped). With an empty query the articles for the ticket's intent are suggested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain.model import KbArticle, KbHit
from agentdesk.domain.replies import (
    article_excerpt,
    article_reference,
    flat_snippet,
    snippet_parts,
)
from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS, desk, report_error

MATCH_STYLE = "bold $text-accent"


@dataclass(frozen=True, slots=True)
class KbInsert:
    """What the agent chose to put into the reply, and the article to link on the ticket."""

    article_id: str
    title: str
    text: str


def snippet_content(snippet: str) -> Content:
    """The snippet on one flowing line, matched words highlighted (never parsed as markup)."""
    return Content.assemble(
        *(
            (Content.styled(text, MATCH_STYLE) if matched else Content(text))
            for text, matched in snippet_parts(flat_snippet(snippet))
        )
    )


class KbScreen(Screen[KbInsert | None]):
    """Dismisses with a KbInsert (link or excerpt of the shown article), or None."""

    HELP_TITLE = "Knowledge base"
    SEARCH_DELAY = 0.25  # seconds of quiet typing before we ask the store

    DEFAULT_CSS = """
    KbScreen #kb-query {
        margin: 0 1;
    }
    KbScreen #kb-status {
        height: 1;
        padding: 0 2;
        color: $text-muted;
    }
    KbScreen #kb-results {
        width: 46;
        height: 1fr;
        border: round $panel-lighten-2;
    }
    KbScreen #kb-results:focus {
        border: round $primary;
    }
    KbScreen #kb-article {
        width: 1fr;
        height: 1fr;
        border: round $panel-lighten-2;
        padding: 0 1;
    }
    """

    BINDINGS = [
        bind(
            "kb.search",
            "slash",
            "focus_search",
            "Search",
            "Type words to search the knowledge base",
        ),
        bind(
            "kb.results",
            "down",
            "focus_results",
            "Results",
            "Move from the search box into the results",
            show=False,
        ),
        bind(
            "kb.link",
            "l",
            "insert_link",
            "Insert link",
            "Put a reference to this article into the reply and link it on the ticket",
        ),
        bind(
            "kb.excerpt",
            "e",
            "insert_excerpt",
            "Insert excerpt",
            "Put this article's steps or first paragraph into the reply and link it",
        ),
        bind("kb.back", "escape", "back", "Back", "Back to the ticket without inserting anything"),
    ]

    def __init__(self, *, intent: str = "", query: str = "") -> None:
        super().__init__()
        self.intent = intent
        self.initial_query = query
        self.article: KbArticle | None = None
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(self.initial_query, placeholder="Search the knowledge base", id="kb-query")
        yield Static(id="kb-status", markup=False)
        with Horizontal():
            yield OptionList(id="kb-results")
            with VerticalScroll(id="kb-article"):
                yield Markdown(id="kb-markdown")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#kb-results", OptionList).border_title = "Articles"
        self.query_one("#kb-article").border_title = "Article"
        self.query_one("#kb-query", Input).focus()
        self.search(self.initial_query)

    # -- searching ---------------------------------------------------------------------------
    @on(Input.Changed, "#kb-query")
    def _query_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        text = event.value
        if self.SEARCH_DELAY <= 0:
            self.search(text)
        else:
            self._debounce = self.set_timer(self.SEARCH_DELAY, lambda: self.search(text))

    @on(Input.Submitted, "#kb-query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.search(event.value)
        self.action_focus_results()

    @property
    def current_query(self) -> str:
        # A trailing space is kept: it tells the store the last word is finished (matched
        # whole, not as a prefix).
        return self.query_one("#kb-query", Input).value.lstrip()

    @work(exclusive=True, group="kb-search")
    async def search(self, text: str) -> None:
        query = text.lstrip()
        store = desk(self).store
        try:
            if query.strip():
                hits = await store.search_kb(query)
            else:
                hits = await self._suggestions()
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="search the knowledge base")
            return
        if query != self.current_query:
            return  # the agent typed on meanwhile; a newer search is coming
        self._show_hits(query, hits)

    async def _suggestions(self) -> list[KbHit]:
        if not self.intent:
            return []
        articles = await desk(self).store.articles()
        return [
            KbHit(a.id, a.title, article_excerpt(a.body, limit=160), 0.0)
            for a in articles
            if a.intent == self.intent
        ]

    def _show_hits(self, query: str, hits: Sequence[KbHit]) -> None:
        status = self.query_one("#kb-status", Static)
        keys = "  ·  ↓ results, then l insert link, e insert excerpt" if hits else ""
        if query:
            status.update(f"{len(hits)} article(s) match “{query}”{keys}")
        elif hits:
            status.update(f"Suggested for {self.intent}; type to search{keys}")
        else:
            status.update("Type to search the knowledge base")
        results = self.query_one("#kb-results", OptionList)
        results.set_options(
            Option(
                Content.assemble(
                    Content.styled(hit.title, "bold"), "\n", snippet_content(hit.snippet)
                ),
                id=hit.article_id,
            )
            for hit in hits
        )
        if hits:
            results.highlighted = 0
        else:
            self.article = None
            self.query_one("#kb-markdown", Markdown).update("")
            self.refresh_bindings()

    # -- reading -----------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#kb-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.open_article(event.option.id)

    @on(OptionList.OptionSelected, "#kb-results")
    def _selected(self) -> None:
        self.query_one("#kb-article").focus()

    @work(exclusive=True, group="kb-article")
    async def open_article(self, article_id: str) -> None:
        try:
            article = await desk(self).store.article(article_id)
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="open the article")
            return
        self.article = article
        self.query_one("#kb-article").border_title = article.title
        await self.query_one("#kb-markdown", Markdown).update(article.body)
        self.refresh_bindings()

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"insert_link", "insert_excerpt"}:
            return self.article is not None or None
        if action == "focus_results":
            return isinstance(self.focused, Input) or None
        return True

    def action_focus_search(self) -> None:
        self.query_one("#kb-query", Input).focus()

    def action_focus_results(self) -> None:
        self.query_one("#kb-results", OptionList).focus()

    def action_insert_link(self) -> None:
        if self.article is not None:
            text = article_reference(self.article.title, self.article.id)
            self.dismiss(KbInsert(self.article.id, self.article.title, text))

    def action_insert_excerpt(self) -> None:
        if self.article is not None:
            text = article_excerpt(self.article.body)
            self.dismiss(KbInsert(self.article.id, self.article.title, text))

    def action_back(self) -> None:
        self.dismiss(None)

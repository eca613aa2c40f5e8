"""The payload readers the workstation's replay and the server's push share."""

from __future__ import annotations

import pytest

from agentdesk.domain.model import LinkKind, TicketLink
from agentdesk.domain.op_effects import csat_of, links_of


def test_links_are_read_as_the_client_wrote_them() -> None:
    payload = {"links": [{"kind": "article", "ref_id": "kb-1", "title": "Reset"}]}
    assert links_of(payload) == (TicketLink(LinkKind.ARTICLE, "kb-1", "Reset"),)
    assert links_of({}) == ()


@pytest.mark.parametrize(
    "links", ["kb-1", [{"kind": "video", "ref_id": "x"}], [{"kind": "article"}], [5]]
)
def test_malformed_links_raise(links: object) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        links_of({"links": links})


@pytest.mark.parametrize(("csat", "expected"), [(4, 4), (True, None), ("5", None), (None, None)])
def test_csat_is_a_whole_number_or_none(csat: object, expected: int | None) -> None:
    assert csat_of({"csat": csat}) == expected

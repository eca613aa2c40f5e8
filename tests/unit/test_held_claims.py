"""Held claims on a workstation: what the server listed, what became lost, what pull-next may
hand out, and the `[sync]` config keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agentdesk.config import ConfigError, load_settings
from agentdesk.domain.held_claims import (
    BadClaim,
    ClaimKind,
    HeldClaim,
    ReservePolicy,
    claims_from_wire,
    epochs,
    merged,
    nothing_to_pull,
    pullable_ids,
)
from agentdesk.domain.outbox import SyncStatus, SyncView, sync_parts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=8)


def reserved(
    ticket_id: str, epoch: int = 1, *, taken: bool = False, lost_at: datetime | None = None
) -> HeldClaim:
    return HeldClaim(ticket_id, epoch, ClaimKind.RESERVATION, LATER, taken=taken, lost_at=lost_at)


def test_claims_read_from_the_wire() -> None:
    raw = [
        {
            "ticket_id": "t1",
            "epoch": 3,
            "kind": "online",
            "lease_expires_at": "2026-11-23T09:05:00+00:00",
            "taken": True,
        }
    ]
    [claim] = claims_from_wire(raw)
    assert claim == HeldClaim("t1", 3, ClaimKind.ONLINE, NOW + timedelta(minutes=5), taken=True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "must be a list"),
        ([{"ticket_id": "t", "epoch": 0, "kind": "online"}], "claims.0: epoch"),
        (
            [{"ticket_id": "t", "epoch": 1, "kind": "lease", "lease_expires_at": NOW.isoformat()}],
            "claims.0",
        ),
        (
            [
                {
                    "ticket_id": "t",
                    "epoch": 1,
                    "kind": "online",
                    "lease_expires_at": "2026-11-23T09:00",
                }
            ],
            "UTC offset",
        ),
    ],
)
def test_unreadable_claims_name_the_field(raw: object, message: str) -> None:
    with pytest.raises(BadClaim, match=message):
        claims_from_wire(raw)


def test_unlisted_claims_turn_lost_keep_their_epoch_and_are_forgotten_late() -> None:
    stored = [reserved("a", 2), reserved("b", 5, taken=True)]
    kept = merged(stored, [reserved("a", 2)], now=NOW)
    assert kept == [reserved("a", 2), reserved("b", 5, taken=True, lost_at=NOW)]
    assert epochs(kept) == {"a": 2, "b": 5}
    assert merged(kept, [], now=LATER + timedelta(days=30)) == []


def test_a_pull_the_server_has_not_seen_yet_stays_taken() -> None:
    stored = [reserved("a", 2, taken=True)]
    assert merged(stored, [reserved("a", 2)], now=NOW) == [reserved("a", 2, taken=True)]
    # A new epoch is a new reservation: not the one pulled here.
    assert merged(stored, [reserved("a", 3)], now=NOW) == [reserved("a", 3)]


def test_only_live_untaken_reservations_are_pullable() -> None:
    claims = [
        reserved("live"),
        reserved("taken", taken=True),
        reserved("lost", lost_at=NOW),
        HeldClaim("online", 1, ClaimKind.ONLINE, LATER),
        HeldClaim("lapsed", 1, ClaimKind.RESERVATION, NOW),
    ]
    assert pullable_ids(claims, NOW) == {"live"}


def test_the_status_bar_counts_live_reservations_only() -> None:
    status = SyncStatus(reserved_until=(NOW - timedelta(minutes=1), LATER, LATER))
    parts = sync_parts(SyncView(False, status, NOW))
    assert parts == ["offline", "pending 0", "conflicts 0", "reserved 2", "never synced"]


def test_nothing_to_pull_says_why() -> None:
    assert "Offline and no ticket reserved" in nothing_to_pull(online=False, reserved=0)
    assert "none of your 2 reserved tickets" in nothing_to_pull(online=False, reserved=2)
    assert "reserving more" in nothing_to_pull(online=True, reserved=0)


def test_reserve_policy_bounds() -> None:
    assert ReservePolicy(3, 8).seconds == 8 * 3600
    with pytest.raises(ValueError, match="reserve"):
        ReservePolicy(21, 8)
    with pytest.raises(ValueError, match="reserve_hours"):
        ReservePolicy(3, 25)


def test_sync_config_keys(tmp_path: Path) -> None:
    env = {"AGENTDESK_DATA_DIR": str(tmp_path / "data")}
    path = tmp_path / "config.toml"
    assert load_settings(path, env).reserve == ReservePolicy()
    path.write_text("[sync]\nreserve = 5\nreserve_hours = 10.5\n", encoding="utf-8")
    assert load_settings(path, env).reserve == ReservePolicy(5, 10.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sync]\nreserve = 50\n", "sync.reserve: expected a whole number of tickets from 0 to 20"),
        ('[sync]\nreserve = "3"\n', "sync.reserve: expected"),
        ("[sync]\nreserve = true\n", "sync.reserve: expected"),
        ("[sync]\nreserve_hours = 0\n", "sync.reserve_hours: expected hours"),
        ("[sync]\nreserve_hours = 36\n", "sync.reserve_hours: expected hours"),
        ("[sync]\nreserved = 3\n", "sync.reserved: unknown key"),
        ("sync = 3\n", "sync: expected a table"),
    ],
)
def test_bad_sync_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(path, {"AGENTDESK_DATA_DIR": str(tmp_path / "data")})


def test_a_lost_claim_fences_only_ops_logged_before_the_loss_was_learnt() -> None:
    lost = reserved("a", lost_at=NOW)
    assert lost.fences(NOW - timedelta(seconds=1))
    assert not lost.fences(NOW + timedelta(seconds=1))
    assert reserved("a").fences(NOW + timedelta(days=1))

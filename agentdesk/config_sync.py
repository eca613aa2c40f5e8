"""The `[sync]` table of the config file: reservations for working offline.

```toml
[sync]
reserve = 3          # tickets kept reserved for pull-next offline, 0 to 20 (0: none)
reserve_hours = 8    # how long a reservation lasts (a shift), more than 0 and at most 24
```

Each sync round tops the reservations up to `reserve` and renews them (and the claims on
tickets being worked on), so they only run out when the workstation stays offline longer than
`reserve_hours`.
"""

from __future__ import annotations

from agentdesk.config import ConfigError
from agentdesk.domain.held_claims import MAX_RESERVATION_HOURS, MAX_RESERVATIONS, ReservePolicy

SYNC_KEYS = ("reserve", "reserve_hours")


def parse_sync(raw: object) -> ReservePolicy:
    if raw is None:
        return ReservePolicy()
    if not isinstance(raw, dict):
        raise ConfigError("sync: expected a table such as [sync] reserve = 3")
    unknown = sorted(set(raw) - set(SYNC_KEYS))
    if unknown:
        raise ConfigError(f"sync.{unknown[0]}: unknown key (known: {', '.join(SYNC_KEYS)})")
    default = ReservePolicy()
    count = raw.get("reserve", default.count)
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_RESERVATIONS:
        raise ConfigError(
            f"sync.reserve: expected a whole number of tickets from 0 to {MAX_RESERVATIONS}, "
            f"got {count!r}"
        )
    hours = raw.get("reserve_hours", default.hours)
    if (
        isinstance(hours, bool)
        or not isinstance(hours, int | float)
        or not 0 < hours <= MAX_RESERVATION_HOURS
    ):
        raise ConfigError(
            f"sync.reserve_hours: expected hours, more than 0 and at most 24, got {hours!r}"
        )
    return ReservePolicy(count, float(hours))

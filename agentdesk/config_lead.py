"""The `[lead.alerts]` table of the config file: when the lead view raises an alert.

```toml
[lead.alerts]
queue_length = 20            # waiting tickets in one queue (0: no such alert)
queue_wait_minutes = 15      # the oldest waiting ticket's wait (0: no such alert)
breach_coming = 1            # tickets in one queue close to an SLA breach (0: off)
breached = 1                 # tickets in one queue past an SLA deadline (0: off)
over_capacity = 1            # tickets an agent holds above their capacity (0: off)
cooldown_minutes = 10        # an alert that stays raised is told again after this long
quiet_arrivals_per_hour = 5  # a quiet period: at most this many arrivals in the last hour,
quiet_idle_agents = 2        # no alert, and at least this many agents idle (0: no suggestion)
```

See `domain/lead_alerts.py` for what each alert measures and how they are throttled.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from agentdesk.config import ConfigError
from agentdesk.domain.lead_alerts import AlertPolicy

LEAD_KEYS = ("alerts",)
ALERT_KEYS = (
    "queue_length",
    "queue_wait_minutes",
    "breach_coming",
    "breached",
    "over_capacity",
    "cooldown_minutes",
    "quiet_arrivals_per_hour",
    "quiet_idle_agents",
)
# Far beyond any sensible setting; catches a value typed in seconds or with extra zeros.
MAX_COUNT = 100_000
MAX_MINUTES = 7 * 24 * 60


def parse_lead(raw: object) -> AlertPolicy:
    if raw is None:
        return AlertPolicy()
    table = _known_table(raw, "lead", LEAD_KEYS, "[lead.alerts]")
    return parse_alerts(table.get("alerts"))


def parse_alerts(raw: object) -> AlertPolicy:
    if raw is None:
        return AlertPolicy()
    raw = _known_table(raw, "lead.alerts", ALERT_KEYS, "[lead.alerts] queue_length = 20")
    default = AlertPolicy()
    cooldown = _whole(raw, "cooldown_minutes", int(default.cooldown.total_seconds() // 60))
    if cooldown == 0:
        raise ConfigError("lead.alerts.cooldown_minutes: expected at least 1 minute, got 0")
    return AlertPolicy(
        queue_length=_whole(raw, "queue_length", default.queue_length),
        queue_wait=timedelta(
            minutes=_whole(raw, "queue_wait_minutes", int(default.queue_wait.total_seconds() // 60))
        ),
        breach_coming=_whole(raw, "breach_coming", default.breach_coming),
        breached=_whole(raw, "breached", default.breached),
        over_capacity=_whole(raw, "over_capacity", default.over_capacity),
        cooldown=timedelta(minutes=cooldown),
        quiet_arrivals=_whole(raw, "quiet_arrivals_per_hour", default.quiet_arrivals),
        quiet_idle_agents=_whole(raw, "quiet_idle_agents", default.quiet_idle_agents),
    )


def _known_table(
    raw: object, key: str, known: tuple[str, ...], example: str
) -> Mapping[str, object]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{key}: expected a table such as {example}")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{key}.{unknown[0]}: unknown key (known: {', '.join(known)})")
    return raw


def _whole(raw: Mapping[str, object], name: str, default: int) -> int:
    value = raw.get(name, default)
    most = MAX_MINUTES if name.endswith("_minutes") else MAX_COUNT
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise ConfigError(
            f"lead.alerts.{name}: expected a whole number from 0 to {most}, got {value!r}"
        )
    return value

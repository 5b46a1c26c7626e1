"""Alert rules and the engine that evaluates them on sampled series.

A rule watches the series whose names match its ``metric`` glob (``group.*.lag``) and
fires, per series, when its condition holds:

- ``above``: the latest value is above ``threshold``;
- ``rising``: the series rose over the last ``duration`` seconds and never fell in them;
- ``quiet``: a series that averaged at least ``threshold`` in the ``duration`` before
  was zero for the whole last ``duration`` (a topic that went silent);
- ``share_above``: over the last ``duration`` seconds, the series is more than
  ``threshold`` percent of ``of`` (malformed events among all events).

A rule can be limited to series whose ``*`` part matches ``scope`` (a topic or a group,
glob) and to a host's ``profile``. A condition that keeps holding alerts again only
after ``quiet_period`` seconds, so a stuck value is not a storm of notifications.

The engine is plain Python and cheap: it keeps a short window of recent samples per
series and evaluates each rule on the series it matches, once per sample.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

Kind = Literal["above", "rising", "quiet", "share_above"]
KINDS: tuple[Kind, ...] = ("above", "rising", "quiet", "share_above")


@dataclass(frozen=True, slots=True)
class AlertRule:
    name: str
    kind: Kind
    metric: str  # a series name or glob: dead_letters.pending, group.*.lag
    threshold: float = 0.0
    duration: float = 0.0  # seconds: how long it rose, was quiet, the share's window
    of: str | None = None  # share_above: the series it is a share of
    scope: str | None = None  # glob on the metric's * part (a topic, a group)
    profile: str | None = None  # only on a host watching this profile
    enabled: bool = True
    quiet_period: float = 600.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AlertRule:
        """Raise ValueError with the reason for a spec that is not a rule."""
        try:
            spec = json.loads(text)
            rule = cls(**spec)
        except (TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not an alert rule: {exc}") from exc
        if rule.kind not in KINDS:
            raise ValueError(f"unknown alert kind {rule.kind!r} (one of {', '.join(KINDS)})")
        return rule

    def describe(self) -> str:
        """The rule in a sentence, for a list of rules."""
        t = _number(self.threshold)
        d = _duration(self.duration)
        what = {
            "above": f"{self.metric} above {t}",
            "rising": f"{self.metric} rising for {d}",
            "quiet": f"{self.metric} quiet for {d} after at least {t}/s",
            "share_above": f"{self.metric} above {t} % of {self.of} over {d}",
        }[self.kind]
        if self.scope:
            what += f" (only {self.scope})"
        if self.profile:
            what += f" on {self.profile}"
        return what


DEFAULT_RULES: tuple[AlertRule, ...] = (
    AlertRule("dead-letters-pending", "above", "dead_letters.pending", threshold=0),
    AlertRule("dead-letters-rising", "rising", "dead_letters.pending", duration=300),
    AlertRule("group-lag-records", "above", "group.*.lag", threshold=10_000),
    AlertRule("group-lag-seconds", "above", "group.*.lag_seconds", threshold=300),
    AlertRule("topic-quiet", "quiet", "topic.*.rate", threshold=1.0, duration=300),
    AlertRule(
        "malformed-share",
        "share_above",
        "events.malformed.rate",
        threshold=5.0,
        duration=60,
        of="events.rate",
    ),
    AlertRule(
        "undecoded-share",
        "share_above",
        "events.undecoded.rate",
        threshold=20.0,
        duration=60,
        of="events.rate",
    ),
)


@dataclass(slots=True)
class Alert:
    """One firing of a rule on one series. ``target`` names what to open: the kind
    (``dead_letters``, ``group``, ``topic``) and its name (``None``: all of them)."""

    rule: str
    series: str
    fired_at: float
    value: float
    message: str
    target_kind: str | None = None
    target: str | None = None
    profile: str | None = None
    acknowledged_at: float | None = None
    id: int | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "series": self.series,
            "fired_at": self.fired_at,
            "value": self.value,
            "message": self.message,
            "acknowledged": self.acknowledged,
            "target": {"kind": self.target_kind, "name": self.target},
        }


def target_of(series: str) -> tuple[str | None, str | None]:
    """What a series is about: ``group.g.lag`` -> (group, g), ``topic.t.rate`` -> (topic,
    t), ``dead_letters.d.pending`` -> (dead_letters, d), ``dead_letters.pending`` ->
    (dead_letters, None), an event-wide rate -> (topic, None)."""
    head, _, rest = series.partition(".")
    middle = rest.rpartition(".")[0] or None
    if head == "group":
        return "group", middle
    if head == "topic":
        return "topic", middle
    if head == "dead_letters":
        return "dead_letters", middle
    return "topic", None


@dataclass(slots=True)
class _State:
    notified_at: float | None = None


@dataclass(slots=True)
class AlertEngine:
    """Feed it samples with :meth:`observe`; it returns the alerts they raise.

    ``profile`` is the host's (a rule limited to another profile stays quiet here).
    ``window`` is how many seconds of samples are kept per series: at least twice the
    longest rule duration."""

    rules: list[AlertRule] = field(default_factory=lambda: list(DEFAULT_RULES))
    profile: str | None = None
    window: float = 3600.0
    _recent: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)
    _states: dict[tuple[str, str], _State] = field(default_factory=dict)

    def set_rules(self, rules: Iterable[AlertRule]) -> None:
        self.rules = list(rules)

    def remember(self, alerts: Iterable[Alert]) -> None:
        """Alerts already raised (read from the log at start): their rules stay quiet for
        the rest of their quiet period, across a restart."""
        for a in alerts:
            state = self._states.setdefault((a.rule, a.series), _State())
            if state.notified_at is None or a.fired_at > state.notified_at:
                state.notified_at = a.fired_at

    def observe(self, at: float, values: Mapping[str, float]) -> list[Alert]:
        """Add one sample of each series (taken at ``at``) and return what fires."""
        horizon = at - self.window
        for name, value in values.items():
            recent = self._recent.get(name)
            if recent is None:
                recent = self._recent[name] = deque()
            recent.append((at, float(value)))
            while recent and recent[0][0] < horizon:
                recent.popleft()
        fired: list[Alert] = []
        for rule in self.rules:
            if not rule.enabled or (rule.profile and rule.profile != self.profile):
                continue
            for name in values:
                if not _matches(rule, name):
                    continue
                held = self._holds(rule, name, at)
                if held is None:
                    continue
                state = self._states.setdefault((rule.name, name), _State())
                if state.notified_at is not None and at - state.notified_at < rule.quiet_period:
                    continue
                state.notified_at = at
                kind, target = target_of(name)
                fired.append(
                    Alert(
                        rule.name,
                        name,
                        at,
                        held,
                        _message(rule, name, held),
                        kind,
                        target,
                        self.profile,
                    )
                )
        return fired

    def _holds(self, rule: AlertRule, name: str, at: float) -> float | None:
        """The value to report when the rule's condition holds on ``name``, else None."""
        recent = self._recent[name]
        latest = recent[-1][1]
        if rule.kind == "above":
            return latest if latest > rule.threshold else None
        start = at - rule.duration
        if rule.kind == "rising":
            if recent[0][0] > start:  # not watched for long enough yet
                return None
            span = [v for t, v in recent if t >= start]
            before = [v for t, v in recent if t < start]
            first = before[-1] if before else span[0]
            steps = [first, *span]
            rising = all(b >= a for a, b in itertools.pairwise(steps))
            return latest if rising and latest > first else None
        if rule.kind == "quiet":
            earlier = start - rule.duration
            if recent[0][0] > earlier:
                return None
            now_values = [v for t, v in recent if t >= start]
            then_values = [v for t, v in recent if earlier <= t < start]
            if not then_values or any(v > 0 for v in now_values):
                return None
            busy = sum(then_values) / len(then_values)
            return busy if busy >= rule.threshold else None
        # share_above
        total = self._recent.get(rule.of or "")
        if not total:
            return None
        part = sum(v for t, v in recent if t >= start)
        whole = sum(v for t, v in total if t >= start)
        if whole <= 0:
            return None
        share = 100.0 * part / whole
        return share if share > rule.threshold else None


def _matches(rule: AlertRule, name: str) -> bool:
    if not fnmatch.fnmatchcase(name, rule.metric):
        return False
    if rule.scope is None:
        return True
    # The part of the name the metric's * stands for: the topic, the group.
    prefix, _, suffix = rule.metric.partition("*")
    inner = name[len(prefix) : len(name) - len(suffix)] if suffix else name[len(prefix) :]
    return fnmatch.fnmatchcase(inner, rule.scope)


def _message(rule: AlertRule, name: str, value: float) -> str:
    kind, target = target_of(name)
    subject = {
        "dead_letters": f"dead-letter topic {target}" if target else "dead letters",
        "group": f"group {target}",
        "topic": f"topic {target}" if target else "events",
    }.get(kind or "", name)
    v = _number(value)
    if rule.kind == "above":
        if name.endswith(".lag_seconds"):
            return f"{subject} is {_duration(value)} behind (above {_duration(rule.threshold)})"
        if name.endswith(".lag"):
            return f"{subject} lags {v} records (above {_number(rule.threshold)})"
        return f"{subject}: {v} pending (above {_number(rule.threshold)})"
    if rule.kind == "rising":
        return f"{subject}: pending rose for {_duration(rule.duration)}, now {v}"
    if rule.kind == "quiet":
        return f"{subject} quiet for {_duration(rule.duration)} (it had {v} events/s before)"
    what = name.split(".")[1] if name.count(".") >= 2 else name
    return f"{what} events are {v} % of all over {_duration(rule.duration)}"


def _number(value: float) -> str:
    value = round(value, 2)  # a share of 79.99999999999999 % reads 80
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.2f}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def with_changes(rule: AlertRule, **changes: Any) -> AlertRule:
    """A copy of ``rule`` with some fields changed (what the Alerts view edits)."""
    return replace(rule, **changes)

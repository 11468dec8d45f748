"""Retention: which closed conversations a long-running runtime forgets, and when.

Theory of operation: an open conversation is never forgotten. A closed one is kept while it is both recent and among
the newest closures: it is evicted once `ttl_s` seconds of virtual time have passed since it closed, or as soon as
more than `max_closed` closed conversations are kept (the earliest closure goes first). Evicting a conversation
drops its entries, its message ids and its timers, and trims its subject's event log to the frames of the
conversations that subject still has (frames an open stream has not sent yet wait for it); a subject left with no
conversation and no open stream is forgotten whole (`EventLog.trim`), so dead subjects cost nothing. Event ids
never go backwards for anyone: see `EventLog`.

Closures are recorded in order, so finding what is due is a walk from the oldest closure that stops at the first one
still kept: constant work per request however much is retained.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TTL_S = 7 * 86_400
DEFAULT_MAX_CLOSED = 1_000


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long (virtual seconds) and how many closed conversations are kept."""

    ttl_s: int = DEFAULT_TTL_S
    max_closed: int = DEFAULT_MAX_CLOSED

    def __post_init__(self) -> None:
        for name in ("ttl_s", "max_closed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")

    def to_json(self) -> dict[str, Any]:
        return {"ttlSeconds": self.ttl_s, "maxClosed": self.max_closed}


@dataclass(slots=True)
class Retention:
    """The closed conversations in closing order, and what has been evicted so far."""

    policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    _closed: OrderedDict[str, int] = field(default_factory=OrderedDict)  # conversation id -> closed at (ms)
    evicted_conversations: int = 0

    def closed(self, conversation_id: str, at_ms: int) -> None:
        self._closed[conversation_id] = at_ms
        self._closed.move_to_end(conversation_id)

    def due(self, now_ms: int) -> list[str]:
        """Pop and return the conversations to evict now, oldest closure first."""
        out: list[str] = []
        cutoff = now_ms - self.policy.ttl_s * 1000
        while self._closed:
            cid, at_ms = next(iter(self._closed.items()))
            if at_ms > cutoff and len(self._closed) <= self.policy.max_closed:
                break
            self._closed.popitem(last=False)
            out.append(cid)
        self.evicted_conversations += len(out)
        return out

    @property
    def closed_count(self) -> int:
        return len(self._closed)

    def clear(self) -> None:
        self._closed.clear()
        self.evicted_conversations = 0

"""The catalogue of event types, and the one way consumers turn bytes into an event (X-01).

``EVENT_TYPES`` is built by walking the concrete subclasses of :class:`Event` defined in this
package, not by a hand-kept list, so an event class cannot be forgotten. Building it checks
what every consumer relies on and fails at import time otherwise: type names are unique, each
equals its class name, each declares a version, each sits on a known topic.

``parse_event`` is X-01's consumer rule in one function: an unknown ``type`` is skipped
(``None``), a known type with bad data raises ``pydantic.ValidationError`` (the consumer
dead-letters it), unknown fields are ignored.

Versions: each type has one schema version today. A known type with a version this build does
not know fails validation rather than being skipped: it means the consumer is out of date, and
a dead letter is visible where a silent skip is not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, TypeAdapter

from contracts import audit, certs, enroll, identity, notify
from contracts.envelope import Event, Topics

__all__ = ["ALL_TOPICS", "EVENT_TYPES", "parse_event", "topic_of"]

ALL_TOPICS: Final[tuple[str, ...]] = (
    Topics.IDENTITY,
    Topics.CERTS,
    Topics.ENROLL,
    Topics.NOTIFY,
    Topics.AUDIT,
    Topics.AUDIT_EXPORTS,
)
"""Every topic events travel on, one per producing service (dead-letter topics not included)."""

_EVENT_MODULES: Final = frozenset(m.__name__ for m in (identity, certs, enroll, notify, audit))
"""The producers' modules; a producer's events may live in submodules of its package."""


def _subclasses(cls: type[Event]) -> Iterator[type[Event]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _concrete_type_name(cls: type[Event]) -> str | None:
    """The ``type`` a concrete event declares, or ``None`` for a base such as IdentityEvent."""
    default = cls.model_fields["type"].default
    return default if isinstance(default, str) else None


def _build() -> Mapping[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    for cls in _subclasses(Event):
        if not {cls.__module__, cls.__module__.rsplit(".", 1)[0]} & _EVENT_MODULES:
            continue
        name = _concrete_type_name(cls)
        if name is None:
            continue
        if name in found and found[name] is not cls:
            raise RuntimeError(f"duplicate event type {name!r}: {found[name]!r} and {cls!r}")
        if name != cls.__name__:
            raise RuntimeError(f"{cls.__qualname__} declares type {name!r}, not its class name")
        if not isinstance(cls.model_fields["version"].default, int):
            raise RuntimeError(f"{cls.__qualname__} declares no version")
        if getattr(cls, "topic", None) not in ALL_TOPICS:
            raise RuntimeError(f"{cls.__qualname__} has no known topic")
        found[name] = cls
    return MappingProxyType(dict(sorted(found.items())))


EVENT_TYPES: Final[Mapping[str, type[Event]]] = _build()
"""Every concrete event type by its ``type`` name (read-only)."""


class _Head(BaseModel):
    """Just enough of a message to pick its model: a ``type`` that is text."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True)

    type: str


_JSON_OBJECT: Final = TypeAdapter(dict[str, Any], config=ConfigDict(hide_input_in_errors=True))


def parse_event(raw: bytes | str | Mapping[str, Any]) -> Event | None:
    """Turn a message value (JSON bytes or text, or an already decoded mapping) into its event.

    Returns ``None`` when ``type`` names no event this build knows (X-01: consumers skip
    unknown types). Raises ``pydantic.ValidationError`` when the message is not a JSON object
    with a text ``type``, or when a known type's data does not fit its model. Validation
    errors never echo the input, which might hold a secret put where it does not belong.
    """
    data = _JSON_OBJECT.validate_json(raw) if isinstance(raw, bytes | str) else raw
    head = _Head.model_validate(data)
    cls = EVENT_TYPES.get(head.type)
    if cls is None:
        return None
    return cls.model_validate(data)


def topic_of(event_type: str | type[Event]) -> str:
    """The topic an event type travels on, by ``type`` name or by class.

    Raises ``KeyError`` for a name that is no known event type.
    """
    if isinstance(event_type, str):
        return EVENT_TYPES[event_type].topic
    if _concrete_type_name(event_type) is None:
        raise KeyError(event_type.__qualname__)
    return event_type.topic

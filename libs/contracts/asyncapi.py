"""The AsyncAPI 3.0 document of the platform's events (X-08), built from the registry.

FastStream can describe the subscribers and publishers it owns, but our events leave through
the outbox relay and arrive at batch subscribers that parse them with :func:`parse_event`, so
FastStream would see raw bytes. The contracts are the truth about what travels on each topic,
so the document is built from them: one channel per topic, one message per event type, each
with the JSON schema pydantic derives from the model (envelope and payload).
"""

from __future__ import annotations

from typing import Any

from contracts.registry import ALL_TOPICS, EVENT_TYPES

__all__ = ["asyncapi_document"]


def _channel_key(topic: str) -> str:
    return topic.replace(".", "_")


def asyncapi_document(title: str = "Insurance portal platform events") -> dict[str, Any]:
    """Every topic, the event types it carries, and their schemas; keyed by the subject id."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    components: dict[str, Any] = {"messages": {}, "schemas": {}}
    for topic in ALL_TOPICS:
        key = _channel_key(topic)
        types = sorted(name for name, cls in EVENT_TYPES.items() if cls.topic == topic)
        channels[key] = {
            "address": topic,
            "description": f"Events published on {topic}; the Kafka key is the subject id.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in types},
        }
        operations[f"publish_{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{name}"} for name in types],
        }
    for name, cls in sorted(EVENT_TYPES.items()):
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            components["schemas"][def_name] = definition
        components["schemas"][name] = schema
        components["messages"][name] = {
            "name": name,
            "title": name,
            "summary": (cls.__doc__ or "").strip().split("\n\n")[0],
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{name}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": "1.0.0"},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": components,
    }

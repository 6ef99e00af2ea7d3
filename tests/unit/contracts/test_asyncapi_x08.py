"""X-08: the events are documented in AsyncAPI, generated from the contracts themselves."""

from __future__ import annotations

import json
from typing import Any

from contracts import EVENT_TYPES
from contracts.asyncapi import asyncapi_document


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_x_08_every_event_type_is_a_message_of_its_topic_channel() -> None:
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    by_address = {c["address"]: c for c in doc["channels"].values()}
    for name, cls in EVENT_TYPES.items():
        channel = by_address[cls.topic]
        message = _resolve(doc, channel["messages"][name]["$ref"])
        payload = _resolve(doc, message["payload"]["$ref"])
        assert payload["properties"]["type"]["const"] == name
        assert {"occurred_at", "realm", "subject_id", "actor", "correlation_id"} <= set(
            payload["required"]
        )
    assert sum(len(c["messages"]) for c in doc["channels"].values()) == len(EVENT_TYPES)


def test_x_08_every_reference_in_the_asyncapi_document_resolves() -> None:
    doc = asyncapi_document()
    refs = [m for m in _walk(doc) if isinstance(m, dict) and "$ref" in m]
    assert refs
    for ref in refs:
        _resolve(doc, ref["$ref"])
    json.dumps(doc)  # serialisable as served on /asyncapi.json


def _walk(node: Any) -> Any:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)

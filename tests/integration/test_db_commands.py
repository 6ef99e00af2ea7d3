"""The database commands a process sends are counted on ``/metrics`` (issue 24, X-08): the
figure every bench divides by its operations, so it must count each command exactly once."""

from __future__ import annotations

from harness import Infra, Namespace
from prometheus_client import REGISTRY

from servicekit.runtime import mongo_client


def sent(command: str) -> float:
    return REGISTRY.get_sample_value("mongodb_commands_total", {"command": command}) or 0.0


async def test_x_08_every_database_command_is_counted_once_by_name(
    infra: Infra, ns: Namespace
) -> None:
    client = mongo_client(infra.mongodb_uri)
    collection = client[ns.database("commands")]["things"]
    try:
        await collection.insert_one({"_id": "warm-up"})  # the connection's handshake is not work
        before = {name: sent(name) for name in ("insert", "find", "delete", "hello")}
        await collection.insert_one({"_id": "one"})
        await collection.insert_many([{"_id": "two"}, {"_id": "three"}])
        assert await collection.find_one({"_id": "one"}) is not None
        await collection.delete_one({"_id": "two"})
        assert sent("insert") - before["insert"] == 2  # a bulk insert is one command
        assert sent("find") - before["find"] == 1
        assert sent("delete") - before["delete"] == 1
        assert sent("hello") == before["hello"] == 0
    finally:
        await client.drop_database(ns.database("commands"))
        await client.close()

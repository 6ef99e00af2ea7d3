"""The database commands a process sends, counted by name (issue 24): the unit of cost.

On FerretDB 1.24 every command costs 0.45-1.1 ms whatever it carries (``bench/store``), so the
figure that predicts an operation's cost is how many commands it sends, relay and background
work included. PyMongo's command monitoring reports each command as it starts; this listener
counts them in ``mongodb_commands_total{command=...}`` on the process's ``/metrics``, where the
benchmarks read it before and after a run and divide by the operations they made.
"""

from __future__ import annotations

from prometheus_client import Counter
from pymongo import monitoring

COMMANDS = Counter(
    "mongodb_commands", "Database commands this process sent, by command name", ["command"]
)

HANDSHAKE = frozenset({"hello", "ismaster", "isMaster", "saslStart", "saslContinue", "endSessions"})
"""Connection upkeep, not work an operation asked for (and not sent per operation)."""


class CommandCounter(monitoring.CommandListener):
    """Counts every command this process starts; the counter is process-wide, like the client."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in HANDSHAKE:
            COMMANDS.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        """Only the start is counted: a failed command cost the round trip all the same."""

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        """See :meth:`succeeded`."""


COUNTER = CommandCounter()
"""The one listener every client of the process registers."""

"""What the benchmarks share: memory and CPU of the processes under test, and progress counters.

Each benchmark runs as ``python bench/<name>/run.py`` and puts this folder on its path.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import psutil
from harness import Infra
from prometheus_client.parser import text_string_to_metric_families


class PeakMemory:
    """Samples a process's resident memory every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def stop(self) -> tuple[float, float]:
        """Resident memory at the start and at the peak, in MiB."""
        self._stop.set()
        self._thread.join()
        return self.start / 2**20, self.peak / 2**20

    def growth_mib(self) -> float:
        start, peak = self.stop()
        return peak - start


class CpuTime:
    """CPU seconds (user + system) that named processes spend between ``start`` and ``stop``:
    where the cost of a request goes, beside the work that is its floor."""

    def __init__(self, processes: dict[str, psutil.Process | None]) -> None:
        self.processes = {name: p for name, p in processes.items() if p is not None}
        self._start: dict[str, float] = {}

    @staticmethod
    def _used(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system + times.children_user + times.children_system)

    def start(self) -> None:
        self._start = {name: self._used(p) for name, p in self.processes.items()}

    def stop(self) -> dict[str, float]:
        return {name: self._used(p) - self._start[name] for name, p in self.processes.items()}


def infra_processes(infra: Infra) -> dict[str, psutil.Process | None]:
    """The local FerretDB, Kafka and Mailpit processes serving ``infra`` (none under Docker or
    when servers were given), found by their listen addresses."""
    database = infra.mongodb_uri.removeprefix("mongodb://").split("/")[0]
    broker = infra.kafka_bootstrap_servers.split(",")[0]
    smtp = f"{infra.smtp_host}:{infra.smtp_port}"
    found: dict[str, psutil.Process | None] = {
        "database": None,
        "broker": None,
        "mail catcher": None,
    }
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if f"--listen-addr={database}" in cmdline:
            found["database"] = process
        elif "--smtp" in cmdline and smtp in cmdline:
            found["mail catcher"] = process
        elif any(a.endswith("kafka.Kafka") for a in cmdline) and _listens_on(process, broker):
            found["broker"] = process
    return found


def _listens_on(process: psutil.Process, address: str) -> bool:
    port = int(address.rsplit(":", 1)[1])
    try:
        return any(c.laddr and c.laddr.port == port for c in process.net_connections("inet"))
    except psutil.Error:
        return False


async def consumed_by(service_url: str) -> float:
    """Events the service has handled, from its own Prometheus counter.

    Cheaper than counting documents: FerretDB on SQLite counts by scanning the collection, and
    polling that would load the database we are measuring.
    """
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{service_url}/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "events_consumed"
        for sample in family.samples
        if sample.name == "events_consumed_total"
    )


async def db_commands(*service_urls: str) -> float:
    """Database commands the services' processes have sent so far (``servicekit.dbcommands``):
    read before and after a run, the difference over the operations made is the commands an
    operation costs, its background work (relay, consumers) included."""
    total = 0.0
    async with httpx.AsyncClient() as client:
        for url in service_urls:
            text = (await client.get(f"{url}/metrics")).text
            total += sum(
                sample.value
                for family in text_string_to_metric_families(text)
                if family.name == "mongodb_commands"
                for sample in family.samples
                if sample.name == "mongodb_commands_total"
            )
    return total


class CommandsPerOperation:
    """``async with CommandsPerOperation(url) as counted: ...`` then ``counted.per(n)``."""

    def __init__(self, *service_urls: str) -> None:
        self.urls = service_urls
        self.sent = 0.0

    async def __aenter__(self) -> CommandsPerOperation:
        self._before = await db_commands(*self.urls)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.sent = await db_commands(*self.urls) - self._before

    def per(self, operations: int) -> float:
        return self.sent / max(operations, 1)


async def wait_consumed(service_url: str, n: int, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while (done := await consumed_by(service_url)) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done:.0f} of {n} consumed")
        await asyncio.sleep(0.1)

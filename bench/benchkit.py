"""What the benchmarks share: memory and CPU of the processes under test, and progress counters.

Each benchmark runs as ``python bench/<name>/run.py`` and puts this folder on its path.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time

import httpx
import psutil
from harness import Infra
from prometheus_client.parser import text_string_to_metric_families


def summarise(
    bench: str,
    figure: str,
    ours: str,
    *,
    baseline: str = "",
    ratio: float | None = None,
    goal: str = "",
    met: bool | None = None,
) -> None:
    """One row of ``make bench``'s summary table (``bench/summary.py`` prints and saves it):
    appended to the file ``$BENCH_SUMMARY`` names, if any, so each bench stays runnable alone.
    ``met`` is ``None`` where no goal is set (a diagnostic)."""
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    row = {
        "bench": bench,
        "figure": figure,
        "ours": ours,
        "baseline": baseline,
        "ratio": ratio,
        "goal": goal,
        "met": met,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


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


def db_commands(*service_urls: str) -> float:
    """Database commands the services' processes have sent so far (``servicekit.dbcommands``):
    read before and after a run, the difference over the operations made is the commands an
    operation costs, its background work (relay, consumers) included."""
    total = 0.0
    for url in service_urls:
        text = httpx.get(f"{url}/metrics").text
        total += sum(
            sample.value
            for family in text_string_to_metric_families(text)
            if family.name == "mongodb_commands"
            for sample in family.samples
            if sample.name == "mongodb_commands_total"
        )
    return total


class CommandsPerOperation:
    """``with`` (or ``async with``) ``CommandsPerOperation(url) as counted:`` around a run, then
    ``counted.per(n)``: the commands the services sent meanwhile, per operation."""

    def __init__(self, *service_urls: str) -> None:
        self.urls = service_urls
        self.sent = 0.0
        self._before = 0.0

    def __enter__(self) -> CommandsPerOperation:
        self._before = db_commands(*self.urls)
        return self

    def __exit__(self, *_: object) -> None:
        self.sent = db_commands(*self.urls) - self._before

    async def __aenter__(self) -> CommandsPerOperation:
        return self.__enter__()

    async def __aexit__(self, *_: object) -> None:
        self.__exit__()

    def per(self, operations: float) -> float:
        return self.sent / max(operations, 1)


async def wait_consumed(service_url: str, n: int, timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while (done := await consumed_by(service_url)) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done:.0f} of {n} consumed")
        await asyncio.sleep(0.1)

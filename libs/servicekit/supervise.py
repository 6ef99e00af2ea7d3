"""Background tasks that fail loudly (X-17): never silently gone.

A service's background tasks (the outbox relay, purge jobs, reminder jobs) run beside its HTTP
routes and subscribers for as long as the process lives. A bare ``asyncio.create_task`` that
raises is simply gone: nothing restarts it, and the process keeps answering ``/readyz`` as if
all were well. So every background task runs under a :class:`Supervisor`, which

- logs why the task died (or that it returned, which a background task must never do), with the
  task's name and the traceback;
- starts it again after a capped exponential back-off with jitter, so a task that dies at once
  (its database away) neither spins nor waits longer than the cap once the cause is gone;
- reports it down in :meth:`Supervisor.checks` (``task:<name>``, which ``/readyz`` shows) from
  its death until it runs again, and also while the task itself says it is not healthy (the
  relay while it cannot reach Kafka);
- counts restarts per task in ``background_task_restarts_total`` and shows
  ``background_task_up`` per task in ``/metrics``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge

from servicekit.logs import get_logger

log = get_logger(__name__)

#: The longest one step of a stop may take before the next runs (SIGTERM to exit stays bounded).
STOP_SECONDS = 10.0


async def bounded(step: str, stopping: Awaitable[Any], seconds: float | None = None) -> None:
    """Await one step of a process's stop, for at most ``seconds``; then log it and go on.

    Why: a stop must end. A library can swallow a cancellation (on Python 3.11
    ``asyncio.wait_for`` may lose one that arrives as it completes) or wait on a peer that is
    gone, and a process that never stops is killed by its supervisor without the later
    steps (the broker's offsets, the connections) having run. Reaching the bound cancels what
    is awaited once more.
    """
    try:
        async with asyncio.timeout(STOP_SECONDS if seconds is None else seconds):
            await stopping
    except TimeoutError:
        log.error("a stop step did not end in time; going on", step=step)


RESTARTS = Counter(
    "background_task_restarts_total", "Background tasks started again after they died", ["task"]
)
UP = Gauge("background_task_up", "1 while a background task runs and is healthy, else 0", ["task"])

Job = Callable[[], Coroutine[Any, Any, None]]
Sleep = Callable[[float], Awaitable[None]]


class Backoff:
    """Capped exponential back-off with "equal jitter": each delay is half its ceiling plus a
    random part of the other half. The random part keeps replicas that failed together from
    retrying together; the fixed half keeps a task that dies at once from spinning."""

    def __init__(self, base: float, cap: float, rng: Callable[[], float] = random.random) -> None:
        self.base = base
        self.cap = cap
        self.rng = rng
        self.attempts = 0

    def next(self) -> float:
        """The delay before the next attempt; each call doubles the ceiling, up to the cap."""
        ceiling = min(self.cap, self.base * 2.0**self.attempts)
        if ceiling < self.cap:  # at the cap the count stops, so a long outage cannot overflow it
            self.attempts += 1
        return ceiling / 2 + ceiling / 2 * self.rng()

    def reset(self) -> None:
        """After a success: the next failure waits the shortest delay again."""
        self.attempts = 0


@dataclass
class _Supervised:
    name: str
    job: Job
    healthy: Callable[[], bool] | None
    running: bool = False
    task: asyncio.Task[None] | None = None

    def up(self) -> bool:
        return self.running and (self.healthy is None or self.healthy())


class Supervisor:
    """Runs background tasks, restarting each one that dies; see the module's docstring."""

    def __init__(self, *, base_delay: float, max_delay: float, sleep: Sleep = asyncio.sleep):
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        """How the back-off waits; a test passes one it controls, instead of waiting."""
        self._tasks: dict[str, _Supervised] = {}
        self._started = False

    def add(self, name: str, job: Job, healthy: Callable[[], bool] | None = None) -> None:
        """Supervise ``job`` as ``name`` once started; ``healthy`` is asked on every check
        while the job runs (a job that keeps retrying inside, like the relay, says so there)."""
        if self._started:
            raise RuntimeError(f"background task {name!r} added after the service started")
        if name in self._tasks:
            raise ValueError(f"a background task named {name!r} exists already")
        supervised = _Supervised(name, job, healthy)
        self._tasks[name] = supervised
        UP.labels(task=name).set_function(lambda: float(supervised.up()))

    def start(self) -> None:
        self._started = True
        for supervised in self._tasks.values():
            supervised.task = asyncio.create_task(
                self._keep_running(supervised), name=supervised.name
            )

    async def stop(self) -> None:
        """Cancel every task and wait for them, within :data:`STOP_SECONDS` (see ``bounded``)."""
        tasks = [s.task for s in self._tasks.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        await bounded("background tasks", asyncio.gather(*tasks, return_exceptions=True))

    def checks(self) -> dict[str, bool]:
        """``task:<name>`` → whether it runs and is healthy, for ``/readyz``."""
        return {f"task:{name}": s.up() for name, s in self._tasks.items()}

    async def _keep_running(self, supervised: _Supervised) -> None:
        backoff = Backoff(self.base_delay, self.max_delay)
        while True:
            started = time.monotonic()
            supervised.running = True
            try:
                await supervised.job()
            except Exception as err:
                why = f"{type(err).__name__}: {err}"
                log.exception("background task died", task=supervised.name, error=why)
            else:
                log.error(
                    "background task returned; a background task must run until stopped",
                    task=supervised.name,
                )
            finally:
                supervised.running = False
            if time.monotonic() - started >= self.max_delay:
                backoff.reset()  # it ran well for a while: this is a new failure, not a loop
            delay = backoff.next()
            log.warning(
                "background task restarts after back-off",
                task=supervised.name,
                seconds=round(delay, 3),
            )
            await self.sleep(delay)
            RESTARTS.labels(task=supervised.name).inc()

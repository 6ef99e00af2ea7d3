"""Scheduled jobs: run now, then every so often, for as long as the service runs.

A job that fails is not caught here: the failure ends the task, so the runtime's supervision
sees it, logs why, fails ``/readyz`` and starts it again with back-off (X-17).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


def every(
    seconds: float, job: Callable[[], Awaitable[object]]
) -> Callable[[], Coroutine[Any, Any, None]]:
    """A background task that runs ``job`` now and then every ``seconds``."""

    async def run() -> None:
        while True:
            await job()
            await asyncio.sleep(seconds)

    return run

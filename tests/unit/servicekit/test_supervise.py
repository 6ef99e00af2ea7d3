"""The supervisor's own rules (X-17), without I/O: its back-off, and a job that ends."""

from __future__ import annotations

import asyncio

import pytest

from servicekit import supervise
from servicekit.supervise import Backoff, Supervisor


def test_x_17_restart_back_off_doubles_up_to_its_cap_with_jitter_in_the_upper_half() -> None:
    low, high = Backoff(0.5, 4.0, rng=lambda: 0.0), Backoff(0.5, 4.0, rng=lambda: 1.0)
    assert [low.next() for _ in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert [high.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    high.reset()
    assert high.next() == 0.5, "after a success the next failure waits the shortest delay again"
    long_outage = Backoff(0.5, 4.0)
    for _ in range(5000):  # 0.5 * 2**5000 would overflow a float: the count stops at the cap
        long_outage.next()
    assert long_outage.attempts == 3 and 2.0 <= long_outage.next() <= 4.0


async def test_x_17_a_background_task_that_returns_is_down_and_started_again() -> None:
    restarted = asyncio.Event()
    held = asyncio.Event()
    runs: list[int] = []

    async def hold(_: float) -> None:
        held.set()
        await restarted.wait()

    async def ends_early() -> None:
        runs.append(len(runs))
        if len(runs) > 1:
            await asyncio.Event().wait()

    supervisor = Supervisor(base_delay=1.0, max_delay=8.0, sleep=hold)
    supervisor.add("reminders", ends_early)
    supervisor.start()
    try:
        await asyncio.wait_for(held.wait(), timeout=5)
        assert supervisor.checks() == {"task:reminders": False}
        restarted.set()
        while len(runs) < 2:
            await asyncio.sleep(0)
        assert supervisor.checks() == {"task:reminders": True}
    finally:
        await supervisor.stop()


async def test_x_17_a_task_that_says_it_is_unhealthy_is_down_while_it_runs() -> None:
    healthy = False
    supervisor = Supervisor(base_delay=1.0, max_delay=8.0)
    supervisor.add("outbox-relay", asyncio.Event().wait, healthy=lambda: healthy)
    supervisor.start()
    try:
        await asyncio.sleep(0)
        assert supervisor.checks() == {"task:outbox-relay": False}
        healthy = True
        assert supervisor.checks() == {"task:outbox-relay": True}
    finally:
        await supervisor.stop()


async def test_x_17_a_task_added_after_the_start_is_refused_rather_than_never_run() -> None:
    supervisor = Supervisor(base_delay=1.0, max_delay=8.0)
    supervisor.start()
    with pytest.raises(RuntimeError, match="after the service started"):
        supervisor.add("late-job", asyncio.Event().wait)
    await supervisor.stop()


async def test_x_17_a_stop_ends_even_when_a_task_swallows_its_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A task that loses its cancellation (as a library's ``wait_for`` can on Python 3.11)
    must not hold the process's stop for ever: the step ends at its bound, logged."""
    monkeypatch.setattr(supervise, "STOP_SECONDS", 0.2)
    swallowed = 0

    async def deaf() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                swallowed += 1
                if swallowed > 1:  # cancelled again at the bound: now it goes
                    raise

    supervisor = Supervisor(base_delay=1.0, max_delay=8.0)
    supervisor.add("deaf", deaf)
    supervisor.start()
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(supervisor.stop(), timeout=5)
    assert loop.time() - started < 2, "the stop waited for its bound only"
    assert swallowed == 2, "cancelled once, then once more at the bound"


async def test_x_17_a_stop_step_that_never_ends_is_left_behind_after_its_bound() -> None:
    never = asyncio.Event()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await supervise.bounded("a peer that is gone", never.wait(), seconds=0.1)
    assert 0.1 <= loop.time() - started < 2

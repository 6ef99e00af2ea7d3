"""What identity trusts from a recent read (X-04, X-14): for a time on the service's clock, and
never more of it than its bound."""

from __future__ import annotations

from datetime import timedelta

from servicekit.clock import ManualClock
from services.identity.store.recent import Recent


def test_x_14_recent_reads_expire_with_the_clock_and_stay_bounded() -> None:
    clock = ManualClock()
    recent: Recent[str, int] = Recent(clock, timedelta(seconds=5), size=3)
    for n in range(10):
        recent.put(f"k{n}", n)
    assert len(recent) == 3, "the least recently used went"
    assert recent.get("k0") is None
    found = recent.get("k9")
    assert found is not None and found.value == 9
    clock.advance(timedelta(seconds=5))
    assert recent.get("k9") is None, "read five seconds ago: read again"
    recent.forget_where(lambda value: value == 8)
    assert recent.get("k8") is None


def test_x_04_a_cache_of_no_time_keeps_nothing() -> None:
    recent: Recent[str, int] = Recent(ManualClock(), timedelta(0), size=3)
    recent.put("k", 1)
    assert recent.get("k") is None and len(recent) == 0

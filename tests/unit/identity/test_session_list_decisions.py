"""The user's list of sessions, as pure decisions (decision 0020)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.identity.domain.session_lists import LISTED, Listed, listed_with, rotated_in
from services.identity.domain.sessions import expiry_hour

NOW = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def listed(n: int, ends: datetime = NOW + timedelta(hours=12)) -> Listed:
    return Listed(f"{n:016x}" * 4, expiry_hour(ends), NOW + timedelta(seconds=n))


@given(st.integers(min_value=0, max_value=3 * LISTED), st.integers(min_value=0, max_value=20))
def test_x_14_a_list_never_passes_fifty_and_ends_exactly_what_it_drops(
    live: int, over: int
) -> None:
    """Whatever the user had listed, the new session is listed; what is no longer listed is
    either over (its hour has ended) or answered as crowded out, for the caller to end."""
    before = (
        *(listed(1000 + n, NOW - timedelta(hours=3)) for n in range(over)),
        *(listed(n) for n in range(live)),
    )
    new = listed(9999)
    kept, crowded = listed_with(before, new, NOW)
    assert kept[-1] == new and len(kept) <= LISTED
    dropped = set(before) - set(kept)
    assert set(crowded) == {s for s in dropped if s.hour == expiry_hour(NOW + timedelta(hours=12))}
    assert list(crowded) == sorted(crowded, key=lambda s: s.begun), "the oldest end first"
    assert len(crowded) == max(0, live + 1 - LISTED)


def test_id_sess_03_a_rotation_lists_the_new_session_in_the_old_ones_place() -> None:
    old, other, new = listed(1), listed(2), listed(3)
    assert rotated_in((old, other), old.key[:16], new) == (other, new)
    assert rotated_in((other,), old.key[:16], new) == (other, new), "gone already: added"

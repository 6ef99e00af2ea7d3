"""kencom's bot defence, its pure rules (ID-BOT-01..03, X-14): difficulty per client address over
a sliding window, trusted networks with their failure limit, bounded slots, the challenge
itself, and the client address behind a trusted proxy only."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from identity_people import NOW
from starlette.requests import Request

from contracts.identity import TrustedNetworkEntry
from services.identity.app import challenge_policy
from services.identity.domain import bot_defence
from services.identity.domain.bot_defence import AddressSlot, Kind, TrustedAddresses
from services.identity.settings import IdentitySettings
from services.identity.usecases import challenges
from services.identity.web import client_address

POLICY = challenge_policy(IdentitySettings())
KEY = b"test-challenge-key"


def client(address: str, slots: int = POLICY.slots) -> bot_defence.ClientId:
    return bot_defence.client_id(KEY, "kencom", address, slots)


def after(events: list[tuple[str, Kind, timedelta]], slots: int = 1, capacity: int = 8):
    """The slot after ``events`` (address, kind, when), all in one slot."""
    policy = POLICY.__class__(**{**POLICY.__dict__, "slots": slots, "capacity": capacity})
    slot: AddressSlot | None = None
    for address, kind, when in events:
        slot = bot_defence.record(slot, client(address, slots), kind, NOW + when, policy).state
    assert slot is not None
    return slot, policy


def test_id_bot_02_difficulty_rises_with_failures_from_one_address_and_falls_after_the_window() -> (
    None
):
    base = bot_defence.difficulty(None, NOW, POLICY)
    assert base == bot_defence.Difficulty(0, POLICY.base_max_number)
    failures = [("198.51.100.7", Kind.FAILURE, timedelta(seconds=i)) for i in range(6)]
    slot, _ = after(failures)
    mine = slot.of(client("198.51.100.7", 1).digest)
    raised = bot_defence.difficulty(mine, NOW + timedelta(seconds=6), POLICY)
    assert raised.steps == 2 and raised.max_number == POLICY.base_max_number * 16
    later = NOW + timedelta(seconds=5) + POLICY.window
    assert bot_defence.difficulty(mine, later, POLICY) == base, "the window slid past them"


def test_id_bot_02_concentrated_access_raises_it_too_and_is_capped() -> None:
    accesses = [("198.51.100.7", Kind.ACCESS, timedelta(seconds=i)) for i in range(500)]
    slot, _ = after(accesses)
    mine = slot.of(client("198.51.100.7", 1).digest)
    assert mine is not None and len(mine.accesses) == POLICY.kept, "X-14: capped per address"
    top = bot_defence.difficulty(mine, NOW + timedelta(seconds=500), POLICY)
    assert top.steps == POLICY.max_steps


def test_id_bot_02_another_address_is_not_affected() -> None:
    slot, _ = after([("198.51.100.7", Kind.FAILURE, timedelta(0))] * 9)
    other = slot.of(client("198.51.100.8", 1).digest)
    assert bot_defence.difficulty(other, NOW, POLICY).steps == 0


def test_x_14_a_full_slot_keeps_its_most_suspicious_addresses() -> None:
    hot = [("203.0.113.66", Kind.FAILURE, timedelta(seconds=i)) for i in range(3)]
    cold = [(f"192.0.2.{i}", Kind.ACCESS, timedelta(seconds=10 + i)) for i in range(20)]
    slot, _ = after(hot + cold, capacity=4)
    assert len(slot.activities) == 4
    assert slot.of(client("203.0.113.66", 1).digest) is not None, "flooding evicts the cold"


def test_x_14_an_address_silent_for_the_window_is_dropped_when_its_slot_is_written() -> None:
    slot, _ = after(
        [
            ("192.0.2.1", Kind.FAILURE, timedelta(0)),
            ("192.0.2.2", Kind.ACCESS, POLICY.window + timedelta(seconds=1)),
        ]
    )
    assert [a.digest for a in slot.activities] == [client("192.0.2.2", 1).digest]


def test_id_bot_02_an_ipv6_client_is_counted_by_its_64_block() -> None:
    assert client("2001:db8:1:2::1") == client("2001:db8:1:2:ffff::9")
    assert client("2001:db8:1:2::1") != client("2001:db8:1:3::1")
    assert client("::ffff:192.0.2.1") == client("192.0.2.1")
    assert bot_defence.network_of("not an address") == "unknown"


def test_id_bot_03_a_trusted_address_skips_the_challenge_until_its_failure_limit() -> None:
    trusted = TrustedAddresses(
        "kencom",
        (
            TrustedNetworkEntry(
                organisation="組合", networks=(ipaddress.ip_network("203.0.113.0/24"),)
            ),
        ),
    )
    assert trusted.trusts("203.0.113.9") and not trusted.trusts("198.51.100.1")
    assert not trusted.trusts(None)
    failures = [("203.0.113.9", Kind.FAILURE, timedelta(seconds=i)) for i in range(5)]
    slot, _ = after(failures[:4])
    mine = slot.of(client("203.0.113.9", 1).digest)
    assert bot_defence.skips_challenge(True, mine, NOW + timedelta(seconds=5), POLICY)
    slot, _ = after(failures)
    mine = slot.of(client("203.0.113.9", 1).digest)
    assert not bot_defence.skips_challenge(True, mine, NOW + timedelta(seconds=5), POLICY)
    assert bot_defence.skips_challenge(
        True, mine, NOW + POLICY.window + timedelta(seconds=5), POLICY
    )
    assert not bot_defence.skips_challenge(False, None, NOW, POLICY)


KEYS = challenges.Keys.derived_from(KEY)


def solved(challenge: dict[str, object]) -> str:
    import altcha

    made = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(made)
    assert solution is not None
    return altcha.Payload(made, solution).to_base64()


def test_id_bot_01_a_challenge_is_signed_short_lived_and_bound_to_its_realm_and_address() -> None:
    expires = NOW + timedelta(minutes=5)
    made = challenges.new_challenge(KEYS, 2000, "kencom", "digest-a", expires)
    assert made["parameters"]["data"]["maxNumber"] == 2000
    payload = solved(made)
    good = challenges.check(payload, KEYS, "kencom", "digest-a", NOW)
    assert good.refused is None and good.nonce and good.expires_at == expires
    elsewhere = challenges.check(payload, KEYS, "kencom", "digest-b", NOW)
    assert elsewhere.refused is challenges.Refused.ELSEWHERE
    late = challenges.check(payload, KEYS, "kencom", "digest-a", expires)
    assert late.refused is challenges.Refused.EXPIRED, "by the service's clock (X-04)"
    other_key = challenges.Keys.derived_from(b"another")
    assert challenges.check(payload, other_key, "kencom", "digest-a", NOW).refused is (
        challenges.Refused.FORGED
    )
    for junk in ("", "!!!", "e30=", "W10=", "bnVsbA=="):
        assert challenges.check(junk, KEYS, "kencom", "digest-a", NOW).refused is not None


def request(peer: str, forwarded: list[str], proxies: str) -> Request:
    app = type("App", (), {})()
    app.state = type("State", (), {})()  # type: ignore[attr-defined]
    app.state.trusted_proxies = tuple(  # type: ignore[attr-defined]
        ipaddress.ip_network(p) for p in proxies.split(",") if p
    )
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers, "app": app})


async def test_id_bot_02_the_forwarded_header_counts_only_through_a_trusted_proxy() -> None:
    forged = request("198.51.100.20", ["1.2.3.4"], "10.0.0.0/8")
    assert await client_address(forged) == "198.51.100.20", "an untrusted peer is itself"
    gateway = request("10.0.0.5", ["1.2.3.4, 198.51.100.20"], "10.0.0.0/8")
    assert await client_address(gateway) == "198.51.100.20", "what the client wrote is left of it"
    chain = request("10.0.0.5", ["198.51.100.20, 10.0.0.9"], "10.0.0.0/8")
    assert await client_address(chain) == "198.51.100.20"
    junk = request("10.0.0.5", ["198.51.100.20, junk"], "10.0.0.0/8")
    assert await client_address(junk) == "10.0.0.5"
    nobody = request("10.0.0.5", ["198.51.100.20"], "")
    assert await client_address(nobody) == "10.0.0.5", "no proxy configured: no header believed"


def test_en_09_the_kencom_app_skips_the_challenge_browsers_never_do() -> None:
    from pydantic import SecretStr

    from contracts.identity import LoginChannel
    from services.identity.usecases.bot_defence import proves_app

    credential = "app-credential-" + "x" * 40
    setting = SecretStr(bot_defence.app_credential_digest(credential))
    assert setting.get_secret_value() != credential, "the setting holds a hash"
    assert proves_app(credential, setting)
    for wrong in (None, "", credential + "y", setting.get_secret_value()):
        assert not proves_app(wrong, setting), wrong
    assert not proves_app(credential, SecretStr("")), "no app configured: nobody is one"
    app, browser = bot_defence.login_channel(True), bot_defence.login_channel(False)
    assert (app, browser) == (LoginChannel.APP, LoginChannel.BROWSER)
    assert not bot_defence.challenged(True, app)
    assert bot_defence.challenged(True, browser)
    assert not bot_defence.challenged(False, browser), "a realm without the bot defence"

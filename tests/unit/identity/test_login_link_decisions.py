"""dantai-net's last login steps as pure decisions (ID-BIND, ID-MAIL): the time is given."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from identity_people import NOW, user

from contracts import generate_keypair, seal
from services.identity.domain import auth_email, login_link
from services.identity.domain.attempts import NewLink, NewSession, PendingStep
from services.identity.domain.login_link import LinkAnswer, StepState
from services.identity.domain.refusals import NotPermitted, StepsPending
from services.identity.domain.users import AuthEmail, PendingLogin, User

PUBLIC, _ = generate_keypair()
STEPS = (PendingStep.BROWSER_REGISTRATION, PendingStep.LOGIN_LINK)


def link(name: str) -> NewLink:
    return NewLink(f"hash-{name}", seal(f"/realms/dantai-net/login-link?token={name}", PUBLIC))


def waiting(session_ref: str = "s1", **changes: object) -> User:
    return user(
        realm="dantai-net",
        auth_email=AuthEmail("auth@example.jp", confirmed=True),
        pending_login=PendingLogin(session_ref, NOW),
        **changes,
    )


def fields() -> dict[str, Any]:
    return waiting().envelope(waiting().as_actor, "c", NOW)


def test_id_mail_02_reaching_step_9_mails_a_10_minute_link_bound_to_the_pending_login() -> None:
    decided = login_link.reach(waiting(), link("a"), fields(), NOW)
    assert decided.outcome is True
    [issued] = decided.events
    assert issued.type == "EmailLinkIssued" and issued.expires_at == NOW + timedelta(minutes=10)
    assert decided.state is not None and decided.state.login_link is not None
    assert decided.state.login_link.session_ref == "s1"


def test_id_mail_03_within_10_minutes_a_new_login_takes_over_the_unused_link_unmailed() -> None:
    first = login_link.reach(waiting(), link("a"), fields(), NOW).state
    assert first is not None
    again = first.but(pending_login=PendingLogin("s2", NOW + timedelta(minutes=9)))
    decided = login_link.reach(again, link("b"), fields(), NOW + timedelta(minutes=9))
    assert decided.events == () and decided.state is not None
    assert decided.state.login_link is not None
    assert (decided.state.login_link.token_hash, decided.state.login_link.session_ref) == (
        "hash-a",
        "s2",
    )
    later = login_link.reach(again, link("b"), fields(), NOW + timedelta(minutes=10))
    assert [e.type for e in later.events] == ["EmailLinkIssued"], "ten minutes on: a new mail"


def test_id_mail_02_only_the_pending_logins_browser_confirms_and_only_once() -> None:
    mailed = login_link.reach(waiting(), link("a"), fields(), NOW).state
    assert mailed is not None
    elsewhere = login_link.confirm(mailed, "hash-a", None, None, None, "c", NOW)
    assert elsewhere.outcome is LinkAnswer.OTHER_BROWSER and elsewhere.state is None
    wrong = login_link.confirm(mailed, "hash-x", "s1", None, None, "c", NOW)
    assert wrong.outcome is LinkAnswer.INVALID
    late = login_link.confirm(mailed, "hash-a", "s1", None, None, "c", NOW + timedelta(minutes=10))
    assert late.outcome is LinkAnswer.EXPIRED
    done = login_link.confirm(mailed, "hash-a", "s1", None, None, "c", NOW)
    assert done.outcome is LinkAnswer.CONFIRMED and done.state is not None
    again = login_link.confirm(done.state, "hash-a", "s1", None, None, "c", NOW)
    assert again.outcome is LinkAnswer.INVALID, "single use"


def test_id_bind_01_completion_registers_the_browser_and_starts_one_full_session() -> None:
    mailed = login_link.reach(waiting(), link("a"), fields(), NOW).state
    assert mailed is not None
    session = NewSession("new", 1800, NOW + timedelta(hours=12), "new0" * 16)
    with pytest.raises(StepsPending):
        login_link.complete(mailed, STEPS, "s1", session, "browser-hash", "c", NOW)
    confirmed = login_link.confirm(mailed, "hash-a", "s1", None, None, "c", NOW).state
    assert confirmed is not None
    done = login_link.complete(confirmed, STEPS, "s1", session, "browser-hash", "c", NOW)
    assert [e.type for e in done.events] == ["BrowserRegistered", "SessionStarted"]
    assert done.state is not None and done.state.browser_binding == "browser-hash"
    with pytest.raises(NotPermitted):
        login_link.complete(done.state, STEPS, "s1", session, "other", "c", NOW)


def test_id_mail_01_the_address_link_expires_after_60_minutes_and_confirming_goes_on() -> None:
    pending = user(realm="dantai-net", pending_login=PendingLogin("s1", NOW))
    registered = auth_email.register(pending, "s1", "a@example.jp", link("m"), "c", NOW).state
    assert registered is not None
    late = auth_email.confirm(registered, "hash-m", link("l"), "c", NOW + timedelta(minutes=60))
    assert late.outcome is auth_email.Confirmation.EXPIRED
    ok = auth_email.confirm(registered, "hash-m", link("l"), "c", NOW + timedelta(minutes=59))
    assert ok.outcome is auth_email.Confirmation.CONFIRMED
    assert [e.type for e in ok.events] == [
        "EmailLinkConsumed",
        "AuthEmailConfirmed",
        "EmailLinkIssued",
    ], "the pending login reaches its login link in the same commit"
    progress = login_link.progress(ok.state, STEPS, "s1", NOW)
    assert [p.state for p in progress] == [StepState.AT_COMPLETION, StepState.MAILED]

"""Sessions and credentials explored as interleavings, not one rule at a time (issue 20):
a hypothesis state machine drives identity's HTTP API in a `nexi` organisation that requires
the OTP, with several sessions of a business user and of its admin, the realm's support desk,
and a second organisation, on the real database and Kafka and a clock the test moves.

Each step is one thing a person does: log in (with the current, the initial, a former or a
wrong password), change the password (right or wrong current one), complete a login, change
the e-mail address (confirmed from the same browser or another), ask for and enter an OTP, log
out, have the admin initialise, force or reset the user's password, have support do the same
to the admin, look into the other organisation, or let time pass. A model beside it says what
each answer must be, and after every step these hold (ID-SESS-03, ID-LOCK-01..05, ID-OTP-03,
X-15):

- every session the model holds is alive, owes exactly the steps the model says (a full session
  was opened with the password current then, and did every owed step in itself), and is
  OTP-verified only if it entered a code itself;
- every session that a credential change, a lock, a logout or the idle timeout ended is dead:
  none outlives a later credential change made elsewhere;
- the lock count and the lock are exactly the model's;
- nobody reads the other organisation's users.

``make test`` runs a bounded number of examples with a fixed seed; docs/identity/sessions.md
gives the command for a longer run (``STATEFUL_EXAMPLES``, ``STATEFUL_STEPS``, ``STATEFUL_SEED``).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from harness import PROVISIONING_TOKEN, Infra
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from stateful_portal import Portal, explore, portal_of

from services.identity.domain.realms import realm_policy
from services.identity.domain.sessions import ABSOLUTE_LIFETIME

pytestmark = pytest.mark.integration

REALM = "nexi"
WRONG = "Wrong-Pass-9999"
SESSION = "__Host-session"
LIFETIME = ABSOLUTE_LIFETIME


@dataclass
class Sess:
    """What the model knows of one live session: a rotation keeps its absolute end."""

    restricted: bool
    expires_at: datetime
    otp_verified: bool = False


@dataclass
class Otp:
    token: str
    code: str
    expires_at: datetime
    wrong: int = 0


@dataclass
class Account:
    """A user as the model sees it: what a login must answer, which sessions must live."""

    name: str
    user_id: str
    login_id: str
    org_id: str
    password: str
    initial: str
    must_change: bool = True
    former: str = "Never-Used-Pass-1"
    failures: int = 0
    locked: bool = False
    sessions: dict[str, Sess] = field(default_factory=dict)
    ended: list[str] = field(default_factory=list)
    otp: Otp | None = None
    otp_issued: list[datetime] = field(default_factory=list)

    def end(self, token: str) -> None:
        self.sessions.pop(token, None)
        self.ended = [*self.ended[-12:], token]
        if self.otp is not None and self.otp.token == token:
            self.otp = None

    def end_all(self) -> None:
        for token in list(self.sessions):
            self.end(token)

    def new_password(self, password: str, must_change: bool) -> None:
        self.former, self.password, self.must_change = self.password, password, must_change
        self.failures, self.locked = 0, False


PASSWORDS = (f"Kaisha-Pw-{n:05d}" for n in itertools.count())


def nexi_id() -> str:
    return str(uuid.uuid4().int)[:11]


def cookie(response: httpx.Response) -> str:
    value = response.cookies.get(SESSION)
    assert value, response.text
    return value


class SessionsAndCredentials(RuleBasedStateMachine):
    portal: Portal

    def __init__(self) -> None:
        super().__init__()
        self.now = self.portal.clock.now

    # --- the people --------------------------------------------------------------------------

    @initialize()
    def people(self) -> None:
        p = self.portal
        opened = self._open_org()
        self.admin = Account(
            "admin",
            opened["admin_user_id"],
            opened["admin_login_id"],
            opened["org_id"],
            opened["initial_password"],
            opened["initial_password"],
        )
        first = self._log_in_fully(self.admin)
        switched = p.request(
            "PUT", f"/orgs/{self.admin.org_id}/otp-policy", first, json={"enabled": True}
        )
        assert switched.status_code == 200, switched.text
        token = self._verified_otp(self.admin, first)
        created = p.request(
            "POST",
            f"/orgs/{self.admin.org_id}/users",
            token,
            json={"profile": {"email": f"u-{uuid.uuid4().hex[:6]}@example.jp"}},
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["user_id"]
        [issued] = p.events(user_id, "InitialPasswordIssued")
        initial = p.opened(issued, "sealed_password")
        self.user = Account(
            "user", user_id, created.json()["login_id"], self.admin.org_id, initial, initial
        )
        other = self._open_org()
        self.other_org = other["org_id"]
        self.stranger = self._fresh_token(other["admin_login_id"], other["initial_password"])
        support = p.run(  # as the operator command creates one (services.identity.cli)
            p.app.state.identity.users.create_support_operator(
                realm_policy(REALM), f"SUP{uuid.uuid4().hex[:8]}"
            )
        )
        self.support_login = (support.login_id, support.initial_password)
        self.support = self._fresh_token(*self.support_login)

    def _open_org(self) -> dict[str, Any]:
        opened = self.portal.request(
            "POST",
            "/orgs",
            PROVISIONING_TOKEN,
            json={
                "name": "テスト法人",
                "admin": {
                    "login_id": nexi_id(),
                    "profile": {"email": f"a-{uuid.uuid4().hex[:6]}@example.jp"},
                },
            },
        )
        assert opened.status_code == 201, opened.text
        return dict(opened.json())

    def _fresh_token(self, login_id: str, initial: str) -> str:
        """A helper's full session (support's, the other organisation's admin's): logged in and
        past the forced change, the password then kept as the initial one's twin."""
        login = self.portal.request(
            "POST", "/login", json={"login_id": login_id, "password": initial}
        )
        if login.status_code != 200:
            raise AssertionError(login.text)
        token = cookie(login)
        if login.json()["password_change_required"]:
            changed = self.portal.request(
                "POST",
                "/password",
                token,
                json={"current_password": initial, "new_password": initial[::-1] + "Aa1"},
            )
            assert changed.status_code == 204, changed.text
            token = cookie(changed)
        return token

    def _log_in_fully(self, who: Account) -> str:
        login = self.portal.request(
            "POST", "/login", json={"login_id": who.login_id, "password": who.password}
        )
        assert login.status_code == 200, login.text
        token = cookie(login)
        new = next(PASSWORDS)
        changed = self.portal.request(
            "POST", "/password", token, json={"current_password": who.password, "new_password": new}
        )
        assert changed.status_code == 204, changed.text
        who.new_password(new, must_change=False)
        rotated = cookie(changed)
        who.sessions[rotated] = Sess(restricted=False, expires_at=self.now() + LIFETIME)
        who.ended.append(token)
        return rotated

    def _verified_otp(self, who: Account, token: str) -> str:
        asked = self.portal.request("POST", "/otp", token)
        assert asked.status_code == 202, asked.text
        code = self.portal.opened(self.portal.events(who.user_id, "OtpIssued")[-1], "sealed_code")
        who.otp_issued.append(self.now())
        entered = self.portal.request("POST", "/otp/verify", token, json={"code": code})
        assert entered.status_code == 200, entered.text
        verified = cookie(entered)
        who.sessions[verified] = replace(who.sessions[token], otp_verified=True)
        who.end(token)
        return verified

    # --- the steps -----------------------------------------------------------------------------

    people_ = st.sampled_from(["user", "admin"])

    def _who(self, name: str) -> Account:
        return self.user if name == "user" else self.admin

    @staticmethod
    def _pick(who: Account, index: int) -> str | None:
        live = sorted(who.sessions)
        choices = live + who.ended[-2:]
        return choices[index % len(choices)] if choices else None

    @rule(name=people_, typed=st.sampled_from(["current", "initial", "former", "wrong"]))
    def log_in(self, name: str, typed: str) -> None:
        who = self._who(name)
        password = {
            "current": who.password,
            "initial": who.initial,
            "former": who.former,
            "wrong": WRONG,
        }[typed]
        answer = self.portal.request(
            "POST", "/login", json={"login_id": who.login_id, "password": password}
        )
        if who.locked:
            assert answer.json()["code"] == "ACCOUNT_LOCKED", answer.text
            return
        if password != who.password:
            who.failures += 1
            who.locked = who.failures >= 3
            code = "ACCOUNT_LOCKED" if who.locked else "INVALID_CREDENTIALS"
            assert answer.json()["code"] == code, answer.text
            return
        assert answer.status_code == 200, answer.text
        who.failures = 0
        if who.must_change:  # older logins that owe their change end (ID-SESS-03)
            for token, sess in list(who.sessions.items()):
                if sess.restricted:
                    who.end(token)
        who.sessions[cookie(answer)] = Sess(who.must_change, self.now() + LIFETIME)

    def _refused_before_any_check(
        self, who: Account, token: str, answer: httpx.Response, full_only: bool, protected: bool
    ) -> bool:
        """The answers a session gets before its password is looked at: ended, steps owed, OTP."""
        sess = who.sessions.get(token)
        if sess is None:
            assert answer.status_code == 401, answer.text
            return True
        if full_only and sess.restricted:
            assert answer.json()["code"] == "PASSWORD_CHANGE_REQUIRED", answer.text
            return True
        if protected and not sess.restricted and not sess.otp_verified:
            assert answer.json()["code"] == "OTP_REQUIRED", answer.text
            return True
        return False

    def _counted(self, who: Account, answer: httpx.Response) -> None:
        """A wrong current password given in a session counts like a failed login (ID-LOCK-05)."""
        who.failures += 1
        if who.failures >= 3:
            who.locked = True
            who.end_all()
            assert answer.json()["code"] == "ACCOUNT_LOCKED", answer.text
        else:
            assert answer.json()["code"] == "INVALID_CREDENTIALS", answer.text

    @rule(name=people_, index=st.integers(0, 7), right=st.booleans())
    def change_password(self, name: str, index: int, right: bool) -> None:
        who = self._who(name)
        token = self._pick(who, index)
        if token is None:
            return
        new = next(PASSWORDS)
        answer = self.portal.request(
            "POST",
            "/password",
            token,
            json={"current_password": who.password if right else WRONG, "new_password": new},
        )
        if self._refused_before_any_check(who, token, answer, full_only=False, protected=True):
            return
        if who.locked:
            assert answer.json()["code"] == "ACCOUNT_LOCKED", answer.text
            return
        if not right:
            self._counted(who, answer)
            return
        assert answer.status_code == 204, answer.text
        kept = who.sessions[token]
        who.new_password(new, must_change=False)
        who.end_all()
        who.sessions[cookie(answer)] = replace(kept, restricted=False)

    @rule(name=people_, index=st.integers(0, 7))
    def complete_the_login(self, name: str, index: int) -> None:
        """In `nexi` nothing is left to complete after the password: never a new session."""
        who = self._who(name)
        token = self._pick(who, index)
        if token is None:
            return
        answer = self.portal.request("POST", "/login/complete", token)
        assert answer.status_code == (403 if token in who.sessions else 401), answer.text
        assert SESSION not in answer.cookies

    @rule(name=people_, index=st.integers(0, 7), right=st.booleans(), same_browser=st.booleans())
    def change_email(self, name: str, index: int, right: bool, same_browser: bool) -> None:
        who = self._who(name)
        token = self._pick(who, index)
        if token is None:
            return
        address = f"{name}-{uuid.uuid4().hex[:6]}@example.jp"
        answer = self.portal.request(
            "POST",
            "/email-change",
            token,
            json={"current_password": who.password if right else WRONG, "new_email": address},
        )
        if self._refused_before_any_check(who, token, answer, full_only=True, protected=True):
            return
        if who.locked:
            assert answer.json()["code"] == "ACCOUNT_LOCKED", answer.text
            return
        if not right:
            self._counted(who, answer)
            return
        assert answer.status_code == 202, answer.text
        link = self.portal.events(who.user_id, "EmailLinkIssued")[-1]
        link_token = self.portal.opened(link, "sealed_link").split("token=", 1)[1]
        confirmed = self.portal.request(
            "POST",
            "/email-change/confirm",
            token if same_browser else None,
            json={"token": link_token},
        )
        assert confirmed.status_code == 200, confirmed.text
        kept = who.sessions[token]
        who.end_all()
        if same_browser:
            who.sessions[cookie(confirmed)] = kept
        else:
            assert SESSION not in confirmed.cookies

    @rule(name=people_, index=st.integers(0, 7))
    def ask_for_an_otp(self, name: str, index: int) -> None:
        who = self._who(name)
        token = self._pick(who, index)
        if token is None:
            return
        answer = self.portal.request("POST", "/otp", token)
        if self._refused_before_any_check(who, token, answer, full_only=True, protected=False):
            return
        recent = [t for t in who.otp_issued if self.now() - t < timedelta(hours=1)]
        if len(recent) >= 5:
            assert answer.json()["code"] == "OTP_ISSUE_LIMIT", answer.text
            return
        assert answer.status_code == 202, answer.text
        who.otp_issued = [*recent, self.now()]
        issued = self.portal.events(who.user_id, "OtpIssued")[-1]
        code = self.portal.opened(issued, "sealed_code")
        who.otp = Otp(token, code, self.now() + timedelta(minutes=10))

    @rule(name=people_, index=st.integers(0, 7), right=st.booleans())
    def enter_the_otp(self, name: str, index: int, right: bool) -> None:
        who = self._who(name)
        token = self._pick(who, index)
        if token is None:
            return
        code = who.otp.code if right and who.otp else "000000"
        if not right and who.otp and who.otp.code == code:
            code = "000001"
        answer = self.portal.request("POST", "/otp/verify", token, json={"code": code})
        if self._refused_before_any_check(who, token, answer, full_only=True, protected=False):
            return
        outstanding = who.otp
        if (
            outstanding is None
            or outstanding.token != token
            or self.now() >= outstanding.expires_at
        ):
            if outstanding is not None and outstanding.token == token:
                who.otp = None  # judged expired: spent
            assert answer.json()["code"] == "OTP_EXPIRED", answer.text
            return
        if right:
            assert answer.status_code == 200, answer.text
            kept = who.sessions[token]
            who.end(token)
            who.sessions[cookie(answer)] = replace(kept, otp_verified=True)
            return
        assert answer.json()["code"] == "OTP_INVALID", answer.text
        outstanding.wrong += 1
        if outstanding.wrong >= 2:
            who.otp = None

    @rule(name=people_, index=st.integers(0, 7))
    def log_out(self, name: str, index: int) -> None:
        who = self._who(name)
        token = self._pick(who, index)
        if token is None:
            return
        self.portal.send("POST", "/v1/logout", headers={"Authorization": f"Bearer {token}"})
        who.end(token)

    def _operate(
        self, operator: str | None, operator_sess: Sess | None, target: Account, kind: str
    ) -> None:
        """An admin's (or support's) password operation on ``target`` (ID-PW-06)."""
        path = f"/orgs/{target.org_id}/users/{target.user_id}"
        new = next(PASSWORDS)
        if kind == "initialise":
            answer = self.portal.request("POST", f"{path}/initialise", operator)
        elif kind == "force":
            answer = self.portal.request(
                "PUT", f"{path}/password", operator, json={"new_password": new}
            )
        else:
            answer = self.portal.request("POST", f"{path}/reset", operator)
        if operator_sess is None:
            assert answer.status_code in (401, 403), answer.text
            return
        if operator_sess.restricted:
            assert answer.json()["code"] == "PASSWORD_CHANGE_REQUIRED", answer.text
            return
        if not operator_sess.otp_verified:
            assert answer.json()["code"] == "OTP_REQUIRED", answer.text
            return
        assert answer.status_code == 204, answer.text
        if kind == "initialise":
            target.new_password(target.initial, must_change=True)
        elif kind == "force":
            target.new_password(new, must_change=True)
        else:
            mailed = self.portal.events(target.user_id, "TemporaryPasswordIssued")[-1]
            target.new_password(self.portal.opened(mailed, "sealed_password"), must_change=True)
        target.end_all()

    @rule(index=st.integers(0, 7), kind=st.sampled_from(["initialise", "force", "reset"]))
    def the_admin_resets_the_user(self, index: int, kind: str) -> None:
        token = self._pick(self.admin, index)
        self._operate(token, self.admin.sessions.get(token or ""), self.user, kind)

    @rule(kind=st.sampled_from(["initialise", "force", "reset"]))
    def support_resets_the_admin(self, kind: str) -> None:
        if not self._alive(self.support):
            self.support = self._fresh_token(
                self.support_login[0], self.support_login[1][::-1] + "Aa1"
            )
        desk = Sess(restricted=False, expires_at=self.now() + LIFETIME, otp_verified=True)
        self._operate(self.support, desk, self.admin, kind)

    @rule(name=people_, index=st.integers(0, 7))
    def look_into_the_other_organisation(self, name: str, index: int) -> None:
        who = self._who(name)
        token = self._pick(who, index)
        if token is None:
            return
        answer = self.portal.request("GET", f"/orgs/{self.other_org}/users", token)
        assert answer.status_code in (401, 403, 404), answer.text
        if self._alive(self.stranger):
            theirs = self.portal.request("GET", f"/orgs/{self.admin.org_id}/users", self.stranger)
            assert theirs.status_code in (403, 404), theirs.text

    @rule(minutes=st.sampled_from([1, 9, 11, 31]))
    def time_passes(self, minutes: int) -> None:
        now = self.portal.clock.advance(timedelta(minutes=minutes))
        for who in (self.user, self.admin):
            for token, sess in list(who.sessions.items()):
                # the idle timeout (every check after a step touched them all), or the
                # absolute lifetime (ID-SESS-01)
                if minutes >= 30 or now >= sess.expires_at:
                    who.end(token)

    # --- what must hold after every step -------------------------------------------------------

    def _alive(self, token: str) -> bool:
        return self.portal.alive(token)

    @invariant()
    def sessions_are_exactly_the_models(self) -> None:
        for who in (self.user, self.admin):
            for token, sess in who.sessions.items():
                answer = self.portal.introspected(token)
                assert answer.status_code == 200, f"{who.name}'s session ended: {answer.text}"
                body = answer.json()
                owed = ["password_change"] if sess.restricted else []
                assert body["pending_steps"] == owed, (who.name, body)
                assert body["otp_verified"] is sess.otp_verified, (who.name, body)
            for token in who.ended:
                assert not self._alive(token), f"{who.name}'s session outlived its end"

    @invariant()
    def lock_counts_are_exact(self) -> None:
        for who in (self.user, self.admin):
            stored = self.portal.user(who.user_id)
            assert (stored.failures, stored.locked) == (who.failures, who.locked), who.name


@pytest.fixture(scope="module")
def portal(infra: Infra) -> Iterator[Portal]:
    with portal_of(infra, REALM) as started:
        yield started


def test_id_sess_03_id_lock_05_sessions_and_credentials_hold_across_interleavings(
    portal: Portal,
) -> None:
    SessionsAndCredentials.portal = portal
    explore(SessionsAndCredentials)

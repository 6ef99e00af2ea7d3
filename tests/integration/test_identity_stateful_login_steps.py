"""dantai-net's login steps explored as interleavings across browsers (issue 20, ID-SESS-03,
ID-LOGIN-01 steps 7-10, ID-BIND, ID-MAIL): a hypothesis state machine drives identity's HTTP
API for an organisation's admin from three browser profiles (each its own session cookie and
binding cookie), beside the realm's support desk, on the real database and Kafka and a clock
the test moves.

Each step is what a person does: log in from a browser (with the current, the initial, a former
or a wrong password), change the password, register the e-mail-authentication address, confirm
it from the mail, follow the login link, ask for it again, complete the login, log out; support
initialises the password or resets the browser or the address; time passes. The model beside it
predicts what each answer must be where the rules decide it alone, and checks the rest by its
consequences:

- a login completes (a full session) exactly when *that* session changed the password it owed,
  is the user's latest pending login, followed its own link, the address is confirmed, and the
  browser is the registered one or none is;
- every session the model holds is alive and owes exactly what the model says; every session a
  credential change, a reset, a lock, a newer login in the same browser or the clock ended is
  dead;
- the lock count and the lock are exact.

``make test`` runs a bounded number of examples with a fixed seed; ``STATEFUL_EXAMPLES``,
``STATEFUL_STEPS`` and ``STATEFUL_SEED`` make a longer run (docs/identity/sessions.md).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx
import pytest
from harness import PROVISIONING_TOKEN, Infra
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from stateful_portal import Portal, explore, portal_of

from services.identity.domain.realms import realm_policy
from services.identity.domain.sessions import ABSOLUTE_LIFETIME

pytestmark = pytest.mark.integration

REALM = "dantai-net"
SESSION = "__Host-session"
BINDING = f"__Host-browser-{REALM}"
WRONG = "Wrong-Pass-9999"
ADDRESS_LIFETIME = timedelta(minutes=60)
PASSWORDS = (f"Kaisha-Pw-{n:05d}" for n in itertools.count())


@dataclass
class Browser:
    """One browser profile: the cookies it holds."""

    name: str
    session: str | None = None
    binding: str | None = None

    def cookies(self) -> dict[str, str]:
        held = {SESSION: self.session, BINDING: self.binding}
        return {name: value for name, value in held.items() if value}


@dataclass
class Sess:
    """What the model knows of one live session of the admin."""

    browser: str
    restricted: bool
    owes_password: bool
    needs_binding: bool
    expires_at: datetime
    linked: bool = False
    """It followed a login link that bound it, confirmed (ID-MAIL-02)."""


@dataclass
class Registration:
    token: str
    expires_at: datetime


@dataclass
class Admin:
    user_id: str
    login_id: str
    org_id: str
    password: str
    initial: str
    former: str = "Never-Used-Pass-1"
    must_change: bool = True
    failures: int = 0
    locked: bool = False
    binding: str | None = None
    """The binding cookie of the registered browser (ID-BIND-01), if one is."""
    address_confirmed: bool = False
    registration: Registration | None = None
    pending: str | None = None
    """The session of the user's latest pending login: only it may act on the last steps."""
    sessions: dict[str, Sess] = field(default_factory=dict)
    ended: list[str] = field(default_factory=list)

    def end(self, token: str) -> None:
        self.sessions.pop(token, None)
        self.ended = [*self.ended[-12:], token]

    def end_all(self, but: str | None = None) -> None:
        for token in list(self.sessions):
            if token != but:
                self.end(token)


class LoginSteps(RuleBasedStateMachine):
    portal: Portal

    def __init__(self) -> None:
        super().__init__()
        self.now = self.portal.clock.now
        self.browsers = {name: Browser(name) for name in ("pc", "laptop", "tablet")}

    @initialize()
    def people(self) -> None:
        p = self.portal
        opened = p.request(
            "POST",
            "/orgs",
            PROVISIONING_TOKEN,
            json={"name": "テスト団体", "admin": {"login_id": f"XA3{uuid.uuid4().hex[:8]}"}},
        )
        assert opened.status_code == 201, opened.text
        body = opened.json()
        self.admin = Admin(
            body["admin_user_id"],
            body["admin_login_id"],
            body["org_id"],
            body["initial_password"],
            body["initial_password"],
        )
        operator = p.run(
            p.app.state.identity.users.create_support_operator(
                realm_policy(REALM), f"XA5{uuid.uuid4().hex[:8]}"
            )
        )
        self.desk = Browser("desk")
        self.desk_login = (operator.user_id, operator.login_id, next(PASSWORDS))
        self._desk_first_login(operator.initial_password)

    # --- support's own browser, outside the model ----------------------------------------------

    def _desk_first_login(self, initial: str) -> None:
        user_id, login_id, password = self.desk_login
        login = self._post(self.desk, "/login", json={"login_id": login_id, "password": initial})
        assert login.status_code == 200, login.text
        changed = self._post(
            self.desk, "/password", json={"current_password": initial, "new_password": password}
        )
        assert changed.status_code == 204, changed.text
        asked = self._post(self.desk, "/login/auth-email", json={"email": "desk@example.jp"})
        assert asked.status_code == 202, asked.text
        confirm = self._latest_link(user_id, "auth_email_confirmation")
        assert self._post(None, "/auth-email/confirm", json={"token": confirm}).is_success
        self._desk_follow_and_complete(user_id)

    def _desk_follow_and_complete(self, user_id: str) -> None:
        link = self._latest_link(user_id, "login")
        followed = self._post(self.desk, "/login-link", json={"token": link})
        assert followed.status_code == 200, followed.text
        done = self._post(self.desk, "/login/complete")
        assert done.status_code == 200, done.text

    def _desk_session(self) -> Browser:
        """Support's browser with a live full session: logged in again after the idle time."""
        if self.desk.session and self.portal.alive(self.desk.session):
            return self.desk
        user_id, login_id, password = self.desk_login
        login = self._post(self.desk, "/login", json={"login_id": login_id, "password": password})
        assert login.status_code == 200, login.text
        self._desk_follow_and_complete(user_id)
        return self.desk

    # --- requests as a browser sends them -------------------------------------------------------

    def _post(self, browser: Browser | None, path: str, **kwargs: object) -> httpx.Response:
        """A POST with the browser's cookies; the browser keeps what the answer sets."""
        answer = self.portal.request(
            "POST",
            path,
            cookies=browser.cookies() if browser else None,
            headers={"X-CSRF-Protection": "1"},  # a script of the portal's pages
            **kwargs,
        )
        if browser is not None:
            if SESSION in answer.cookies:
                browser.session = answer.cookies[SESSION]
            if BINDING in answer.cookies:
                browser.binding = answer.cookies[BINDING]
        return answer

    def _latest_link(self, user_id: str, purpose: str) -> str:
        issued = [
            e for e in self.portal.events(user_id, "EmailLinkIssued") if e["purpose"] == purpose
        ]
        assert issued, f"a {purpose} link was mailed"
        return self.portal.opened(issued[-1], "sealed_link").split("token=", 1)[1]

    def _links(self, purpose: str) -> int:
        return sum(
            e["purpose"] == purpose
            for e in self.portal.events(self.admin.user_id, "EmailLinkIssued")
        )

    # --- the admin's steps ------------------------------------------------------------------------

    browsers_ = st.sampled_from(["pc", "laptop", "tablet"])

    @rule(
        name=browsers_, typed=st.sampled_from(["current", "current", "initial", "former", "wrong"])
    )
    def log_in(self, name: str, typed: str) -> None:
        a, browser = self.admin, self.browsers[name]
        password = {
            "current": a.password,
            "initial": a.initial,
            "former": a.former,
            "wrong": WRONG,
        }[typed]
        held = browser.session
        answer = self._post(browser, "/login", json={"login_id": a.login_id, "password": password})
        if a.locked:
            assert answer.json()["code"] == "ACCOUNT_LOCKED", answer.text
            return
        if password != a.password:
            a.failures += 1
            a.locked = a.failures >= 3
            code = "ACCOUNT_LOCKED" if a.locked else "INVALID_CREDENTIALS"
            assert answer.json()["code"] == code, answer.text
            return
        if a.binding is not None and browser.binding != a.binding:  # ID-BIND-02: not counted
            assert answer.json()["code"] == "BROWSER_MISMATCH", answer.text
            return
        assert answer.status_code == 200, answer.text
        a.failures = 0
        if held is not None:  # the browser's cookie is replaced: its session ends
            a.end(held)
        if a.must_change:  # older logins that owe the change end (ID-SESS-03)
            for token, sess in list(a.sessions.items()):
                if sess.restricted:
                    a.end(token)
        token = answer.cookies[SESSION]
        a.sessions[token] = Sess(
            name,
            restricted=True,
            owes_password=a.must_change,
            needs_binding=a.binding is None,
            expires_at=self.now() + ABSOLUTE_LIFETIME,
        )
        a.pending = token

    @rule(name=browsers_, right=st.booleans())
    def change_password(self, name: str, right: bool) -> None:
        a, browser = self.admin, self.browsers[name]
        token = browser.session
        if token is None:
            return
        new = next(PASSWORDS)
        answer = self._post(
            browser,
            "/password",
            json={"current_password": a.password if right else WRONG, "new_password": new},
        )
        sess = a.sessions.get(token)
        if sess is None:
            assert answer.status_code == 401, answer.text
            return
        if a.locked:
            assert answer.json()["code"] == "ACCOUNT_LOCKED", answer.text
            return
        if not right:  # ID-LOCK-05
            a.failures += 1
            if a.failures >= 3:
                a.locked = True
                a.end_all()
                assert answer.json()["code"] == "ACCOUNT_LOCKED", answer.text
            else:
                assert answer.json()["code"] == "INVALID_CREDENTIALS", answer.text
            return
        assert answer.status_code == 204, answer.text
        a.former, a.password, a.must_change, a.failures = a.password, new, False, 0
        rotated = answer.cookies[SESSION]
        a.end_all()
        a.sessions[rotated] = replace(sess, owes_password=False)
        if a.pending == token:  # the pending login moves with its session
            a.pending = rotated

    @rule(name=browsers_)
    def register_the_address(self, name: str) -> None:
        a, browser = self.admin, self.browsers[name]
        token = browser.session
        if token is None:
            return
        answer = self._post(browser, "/login/auth-email", json={"email": "auth@example.jp"})
        sess = a.sessions.get(token)
        if sess is None:
            assert answer.status_code == 401, answer.text
            return
        allowed = sess.restricted and not sess.owes_password and a.pending == token
        assert (answer.status_code == 202) == allowed, (sess, a.pending == token, answer.text)
        if allowed and not a.address_confirmed:
            link = self._latest_link(a.user_id, "auth_email_confirmation")
            a.registration = Registration(link, self.now() + ADDRESS_LIFETIME)

    @rule()
    def confirm_the_address(self) -> None:
        """From whatever device reads the mail: it proves the mailbox, it logs nobody in."""
        a = self.admin
        if a.registration is None:
            return
        answer = self._post(None, "/auth-email/confirm", json={"token": a.registration.token})
        if self.now() >= a.registration.expires_at:
            assert answer.json()["code"] == "AUTH_EMAIL_PROVISIONAL_TIMEOUT", answer.text
            return
        assert answer.status_code == 200, answer.text
        a.registration = None
        a.address_confirmed = True
        a.end_all(but=a.pending)  # a credential: every other session ends (ID-SESS-03)

    @rule(name=browsers_)
    def follow_the_login_link(self, name: str) -> None:
        """The latest login link mailed, opened in this browser."""
        a, browser = self.admin, self.browsers[name]
        if browser.session is None or self._links("login") == 0:
            return
        token = browser.session
        link = self._latest_link(a.user_id, "login")
        answer = self._post(browser, "/login-link", json={"token": link})
        assert answer.status_code < 500, answer.text
        if answer.status_code == 200:  # only the pending login's own browser confirms it
            sess = a.sessions.get(token)
            assert sess is not None and sess.restricted and not sess.owes_password, sess
            assert a.pending == token and a.address_confirmed
            sess.linked = True

    @rule(name=browsers_)
    def ask_for_the_link_again(self, name: str) -> None:
        a, browser = self.admin, self.browsers[name]
        if browser.session is None:
            return
        answer = self._post(browser, "/login/link")
        assert answer.status_code < 500, answer.text
        if answer.status_code == 202:  # a new link voids the older one, followed or not
            sess = a.sessions.get(browser.session)
            assert sess is not None and a.pending == browser.session, answer.text
            sess.linked = False

    @rule(name=browsers_)
    def complete_the_login(self, name: str) -> None:
        a, browser = self.admin, self.browsers[name]
        token = browser.session
        if token is None:
            return
        sess = a.sessions.get(token)
        answer = self._post(browser, "/login/complete")
        ready = (
            sess is not None
            and sess.restricted
            and not sess.owes_password
            and a.pending == token
            and sess.linked
            and a.address_confirmed
            and not (sess.needs_binding and a.binding is not None)
        )
        assert (answer.status_code == 200) is ready, (sess, a.pending == token, answer.text)
        if not ready:
            assert SESSION not in answer.cookies
            return
        assert sess is not None
        full = answer.cookies[SESSION]
        a.end(token)
        a.sessions[full] = replace(sess, restricted=False, linked=False)
        a.pending = None
        if sess.needs_binding:
            assert browser.binding is not None
            a.binding = browser.binding

    @rule(name=browsers_)
    def walks_the_whole_login(self, name: str) -> None:
        """Every step in order from one browser, as a person at the waiting screen does, each
        through the rule that checks it: so the runs reach full sessions often, not by luck."""
        a, browser = self.admin, self.browsers[name]
        self.log_in(name, "current")
        token = browser.session
        if token is None or token not in a.sessions:
            return  # locked, or another browser is the registered one
        if a.sessions[token].owes_password:
            self.change_password(name, right=True)
        if not a.address_confirmed:
            self.register_the_address(name)
            self.confirm_the_address()
        self.follow_the_login_link(name)
        self.complete_the_login(name)

    @rule(name=browsers_)
    def log_out(self, name: str) -> None:
        browser = self.browsers[name]
        if browser.session is None:
            return
        headers = {"Authorization": f"Bearer {browser.session}"}
        self.portal.send("POST", "/v1/logout", headers=headers)
        self.admin.end(browser.session)
        browser.session = None

    @rule(kind=st.sampled_from(["initialise", "browser", "auth-email"]))
    def support_resets_the_admin(self, kind: str) -> None:
        a = self.admin
        desk = self._desk_session()
        path = f"/orgs/{a.org_id}/users/{a.user_id}"
        path += "/initialise" if kind == "initialise" else f"/{kind}/reset"
        answer = self._post(desk, path)
        assert answer.status_code == 204, answer.text
        if kind == "initialise":
            a.former, a.password, a.must_change = a.password, a.initial, True
            a.failures, a.locked = 0, False
        elif kind == "browser":
            a.binding = None
        else:
            a.address_confirmed, a.registration = False, None
        a.end_all()

    @rule(minutes=st.sampled_from([1, 9, 11, 31, 61]))
    def time_passes(self, minutes: int) -> None:
        now = self.portal.clock.advance(timedelta(minutes=minutes))
        for token, sess in list(self.admin.sessions.items()):
            if minutes >= 30 or now >= sess.expires_at:  # ID-SESS-01
                self.admin.end(token)

    # --- what must hold after every step ----------------------------------------------------

    @invariant()
    def sessions_are_exactly_the_models(self) -> None:
        a = self.admin
        for token, sess in a.sessions.items():
            answer = self.portal.introspected(token)
            assert answer.status_code == 200, f"the session ended: {answer.text}"
            steps = answer.json()["pending_steps"]
            assert bool(steps) is sess.restricted, (sess, steps)
            assert ("password_change" in steps) is sess.owes_password, (sess, steps)
        for token in a.ended:
            assert not self.portal.alive(token), "a session outlived its end"

    @invariant()
    def lock_counts_are_exact(self) -> None:
        stored = self.portal.user(self.admin.user_id)
        assert (stored.failures, stored.locked) == (self.admin.failures, self.admin.locked)


@pytest.fixture(scope="module")
def portal(infra: Infra) -> Iterator[Portal]:
    with portal_of(infra, REALM) as started:
        yield started


def test_id_sess_03_id_login_01_a_login_completes_only_in_the_session_that_did_its_steps(
    portal: Portal,
) -> None:
    LoginSteps.portal = portal
    explore(LoginSteps)

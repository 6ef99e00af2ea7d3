"""What identity's and enroll's answers must be in chains of calls, beyond their documents: who
may have a 2xx answer at all (X-15), and what a session's introspection says (ID-SESS-02).

Each oracle learns from the run's 2xx answers what they made (an organisation, its
admin, a business user, a member), and says for each call whether its caller is a stranger to
what the call names. The rules are the roles of ID-USER-01, -03, -04 and EN-06, EN-07, written
here apart from the services' own ``authz`` so that a mistake there shows: an organisation is
its admin's, its realm's support desk's and the back office's; a business user is its admin's;
an admin and a member are the realm's support desk's; a roster is the back office's and kencom
support's; the checkup gate is a kencom member's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fuzz_people import Mailbox
from schemathesis import Case
from schemathesis.core.transport import Response
from stateful_fuzzing import Caller, caller_with, session_set_by

REALM = "/v1/realms/{realm}"
ORGS = f"{REALM}/orgs"
MEMBERS = f"{REALM}/members"
LOGIN = f"{REALM}/login"
CURRENT_SESSION = "/v1/sessions/current"


@dataclass(frozen=True)
class Person:
    kind: str
    realm: str
    org_id: str | None = None


def _support_of(caller: Caller, realm: str | None) -> bool:
    return caller.kind == "support" and caller.realm == realm


def _label(case: Case) -> tuple[str, str]:
    return case.operation.method.upper(), case.operation.path


class IdentityOracle:
    """Identity's organisations and people: the test's own, and those the run made."""

    def __init__(self, orgs: dict[str, str], people: dict[str, Person]) -> None:
        self.orgs = dict(orgs)
        """Organisation id → its realm."""
        self.people = dict(people)
        """User id → who it is."""

    def learn(self, case: Case, response: Response, caller: Caller) -> None:
        method, path = _label(case)
        if method != "POST" or response.status_code == 204:
            return
        body: dict[str, Any] = response.json()
        realm = (case.path_parameters or {}).get("realm", "")
        if path == ORGS:
            self.orgs[body["org_id"]] = realm
            self.people[body["admin_user_id"]] = Person("admin", realm, body["org_id"])
        elif path in (
            f"{ORGS}/{{org_id}}/users",
            f"{ORGS}/{{org_id}}/id-requests/{{user_id}}/approve",
        ):
            org_id = (case.path_parameters or {})["org_id"]
            self.people[body["user_id"]] = Person("business", realm, org_id)
        elif path == MEMBERS:
            self.people[body["user_id"]] = Person("member", realm)

    def session_after(self, case: Case, response: Response, caller: Caller) -> Caller | None:
        """A login's answer opens a session of the user it names; a credential change or a
        completed login rotates the caller's own (ID-SESS-03)."""
        token = session_set_by(response)
        if token is None:
            return None
        if _label(case) != ("POST", LOGIN):
            assert caller.cookie, (
                f"{caller.name}'s session was rotated by {case.operation.label}: a credential "
                "change of one of the test's people, whose session the rest of the run needs"
            )
            return caller_with(caller, token)
        body: dict[str, Any] = response.json()
        realm = (case.path_parameters or {})["realm"]
        person = self.people.get(body["user_id"], Person(body["role"], realm))
        login_id = (case.body or {}).get("login_id") if isinstance(case.body, dict) else None
        return Caller(
            f"the session of {login_id}",
            body["role"],
            realm,
            token,
            cookie=True,
            org_id=person.org_id,
            user_id=body["user_id"],
            path={"realm": realm},
        )

    def refusal_due(self, case: Case, caller: Caller) -> str | None:
        method, path = _label(case)
        named = case.path_parameters or {}
        if path == CURRENT_SESSION:
            return None if caller.user_id else "an introspection without a session"
        if (method, path) == ("POST", ORGS):
            if caller.kind == "back_office" or _support_of(caller, named.get("realm")):
                return None
            return "only the back office and the realm's support open organisations"
        if (method, path) == ("POST", MEMBERS) or "/id-requests/" in path:
            return None if _support_of(caller, named.get("realm")) else "support's work"
        if "user_id" in named and named["user_id"] in self.people:
            return self._user_refusal(caller, named, self.people[named["user_id"]])
        org_id = named.get("org_id")
        if org_id in self.orgs:
            realm = self.orgs[org_id]
            if caller.kind == "back_office" or _support_of(caller, realm):
                return None
            if caller.kind == "admin" and caller.org_id == org_id and caller.realm == realm:
                return None
            return f"organisation {org_id} is not the caller's"
        return None

    @staticmethod
    def _user_refusal(caller: Caller, named: dict[str, Any], user: Person) -> str | None:
        if "org_id" in named and named["org_id"] != user.org_id:
            return f"user {named['user_id']} is not of organisation {named['org_id']}"
        if user.kind == "business":
            mine = caller.kind == "admin" and (caller.realm, caller.org_id) == (
                user.realm,
                user.org_id,
            )
            return None if mine else "a business user is its admin's (ID-USER-01)"
        if _support_of(caller, user.realm):
            return None
        return f"an {user.kind} is the realm's support desk's (ID-USER-03, -04)"

    def check_answer(self, case: Case, response: Response, caller: Caller) -> None:
        if case.operation.path == CURRENT_SESSION:
            found = response.json()["user_id"]
            assert found == caller.user_id, (
                f"ID-SESS-02: {caller.name}'s introspection answered user {found}, "
                f"not {caller.user_id}"
            )


ROSTERS = f"{REALM}/rosters"
CHECKUP = f"{REALM}/checkup-access"
SIGNUPS = f"{REALM}/signups"


class EnrollOracle:
    """Enroll's callers: rosters for the back office and kencom support (EN-07), a member's
    checkup code for kencom support, the checkup gate for the kencom member itself (EN-06)."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    def learn(self, case: Case, response: Response, caller: Caller) -> None:
        if case.operation.path in (SIGNUPS, f"{SIGNUPS}/resend"):
            self.mailbox.receive(response.json()["signup_ref"])

    def session_after(self, case: Case, response: Response, caller: Caller) -> Caller | None:
        assert session_set_by(response) is None, "enroll opens no sessions"
        return None

    def refusal_due(self, case: Case, caller: Caller) -> str | None:
        path = case.operation.path
        kencom = caller.realm == "kencom"
        if path.startswith(ROSTERS):
            ok = caller.kind == "back_office" or (caller.kind == "support" and kencom)
            return None if ok else "rosters are the back office's and kencom support's (EN-07)"
        if path.startswith(f"{MEMBERS}/{{user_id}}/"):  # the checkup code, the unlock
            ok = caller.kind == "support" and kencom
            return None if ok else "a member's checkup access is kencom support's (EN-06)"
        if path.startswith(CHECKUP) and path != f"{CHECKUP}/questions":
            ok = caller.kind == "member" and kencom
            return None if ok else "the checkup gate is a kencom member's own (EN-06)"
        return None

    def check_answer(self, case: Case, response: Response, caller: Caller) -> None:
        if case.operation.path == f"{MEMBERS}/{{user_id}}/checkup-code":
            assert response.json()["user_id"] == (case.path_parameters or {})["user_id"]

"""Where identity's answers lead: the OpenAPI links of its routes, in one place.

Each constant is the ``links`` of one route's success answer (``servicekit.links``): an
organisation opened leads to reading it, to its users and to its admin's first login; a
business user created leads to the admin's work on it (profile, status, permissions, password)
and to its own first login; a login leads to what its session does next. A session travels as
the ``__Host-session`` cookie the answer sets (a browser keeps it; other clients send it back,
or send it as a bearer token), so links into session-bound routes carry no parameter for it.
Schemathesis's stateful phase follows these links (tests/integration/test_fuzz_stateful.py).
"""

from typing import Any

from servicekit.links import link

ORGS = "/v1/realms/{realm}/orgs"
ORG = f"{ORGS}/{{org_id}}"
USERS = f"{ORG}/users"
USER = f"{USERS}/{{user_id}}"
REALM = "/v1/realms/{realm}"
CURRENT_SESSION = "/v1/sessions/current"
LOGOUT = "/v1/logout"

_SAME_REALM = {"path.realm": "$request.path.realm"}
_NEW_ORG = _SAME_REALM | {"path.org_id": "$response.body#/org_id"}
_NEW_ORGS_ADMIN = _NEW_ORG | {"path.user_id": "$response.body#/admin_user_id"}
_NEW_USER = _SAME_REALM | {
    "path.org_id": "$request.path.org_id",
    "path.user_id": "$response.body#/user_id",
}
_SESSIONS_ORG = {"path.realm": "$response.body#/realm", "path.org_id": "$response.body#/org_id"}
_PASSWORD_JUST_TYPED = {"current_password": "$request.body#/password"}


def _session_links() -> dict[str, Any]:
    """What a session does once an answer has set its cookie: who it is, and logging out."""
    return {
        "CurrentSession": link(
            "get", CURRENT_SESSION, "Who this session is, with the cookie the answer set"
        ),
        "LogOut": link("post", LOGOUT, "End this session"),
    }


ORGANISATION_OPENED: dict[str, Any] = {
    "ReadOrganisation": link("get", ORG, "Read the organisation", parameters=_NEW_ORG),
    "ListUsers": link("get", USERS, "Its business users (none yet)", parameters=_NEW_ORG),
    "AdminLogsIn": link(
        "post",
        f"{REALM}/login",
        "Its admin's first login, with the initial password shown once in this answer",
        parameters=_SAME_REALM,
        body={
            "login_id": "$response.body#/admin_login_id",
            "password": "$response.body#/initial_password",
        },
    ),
    "AdminProfile": link(
        "put", f"{USER}/profile", "Support replaces the admin's profile", parameters=_NEW_ORGS_ADMIN
    ),
    "AdminStatus": link(
        "put", f"{USER}/status", "Support makes the admin inactive", parameters=_NEW_ORGS_ADMIN
    ),
    "InitialiseAdmin": link(
        "post",
        f"{USER}/initialise",
        "Support sets the admin back to its initial password",
        parameters=_NEW_ORGS_ADMIN,
    ),
}

ORGANISATION_READ: dict[str, Any] = {
    "ListUsers": link("get", USERS, "Its business users", parameters=_NEW_ORG),
    "CreateBusinessUser": link(
        "post", USERS, "Its admin creates a business user", parameters=_NEW_ORG
    ),
}

BUSINESS_USER_CREATED: dict[str, Any] = {
    "Profile": link("put", f"{USER}/profile", "Replace its profile", parameters=_NEW_USER),
    "Status": link("put", f"{USER}/status", "Make it active or inactive", parameters=_NEW_USER),
    "Permissions": link(
        "put", f"{USER}/permissions", "Set its permission matrix", parameters=_NEW_USER
    ),
    "Initialise": link(
        "post", f"{USER}/initialise", "Back to its initial password", parameters=_NEW_USER
    ),
    "ForcePassword": link("put", f"{USER}/password", "Set its password", parameters=_NEW_USER),
    "Reset": link("post", f"{USER}/reset", "A new password mailed", parameters=_NEW_USER),
    "ResetLoginFactor": link(
        "post",
        f"{USER}/{{factor}}/reset",
        "Reset its browser or e-mail-authentication address",
        parameters=_NEW_USER,
    ),
    "ListUsers": link(
        "get",
        USERS,
        "The organisation's users, this one among them",
        parameters=_SAME_REALM | {"path.org_id": "$request.path.org_id"},
    ),
    "UserLogsIn": link(
        "post",
        f"{REALM}/login",
        "Its first login, with the initial password the admin passes on",
        parameters=_SAME_REALM,
        body={
            "login_id": "$response.body#/login_id",
            "password": "$response.body#/initial_password",
        },
    ),
}

BUSINESS_ID_REQUESTED: dict[str, Any] = {
    "Approve": link(
        "post",
        f"{ORG}/id-requests/{{user_id}}/approve",
        "Support approves the request",
        parameters=_NEW_USER,
    ),
}

MEMBER_REGISTERED: dict[str, Any] = {
    "InitialiseMember": link(
        "post",
        f"{REALM}/members/{{user_id}}/initialise",
        "Support sets the member back to its initial password",
        parameters=_SAME_REALM | {"path.user_id": "$response.body#/user_id"},
    ),
}

LOGGED_IN: dict[str, Any] = _session_links() | {
    "LoginProgress": link(
        "get", f"{REALM}/login/progress", "Where the pending login stands", parameters=_SAME_REALM
    ),
    "CompleteLogin": link(
        "post",
        f"{REALM}/login/complete",
        "The full session, once every pending step is done",
        parameters=_SAME_REALM,
    ),
    "ChangePassword": link(
        "post",
        f"{REALM}/password",
        "The (forced) password change, confirmed with the password just typed",
        parameters=_SAME_REALM,
        body=_PASSWORD_JUST_TYPED,
    ),
    "RequestEmailChange": link(
        "post",
        f"{REALM}/email-change",
        "Change the e-mail address, confirmed with the password just typed",
        parameters=_SAME_REALM,
        body=_PASSWORD_JUST_TYPED,
    ),
    "ChangeLoginId": link(
        "put",
        f"{REALM}/login-id",
        "A member changes its login ID, confirmed with the password just typed",
        parameters=_SAME_REALM,
        body=_PASSWORD_JUST_TYPED,
    ),
}

SESSION_ROTATED: dict[str, Any] = _session_links()
"""A credential change's answer carries the session's new cookie (ID-SESS-03)."""

SESSION_READ: dict[str, Any] = {
    "ReadOwnOrganisation": link(
        "get", ORG, "An admin reads its own organisation", parameters=_SESSIONS_ORG
    ),
    "ListOwnUsers": link(
        "get", USERS, "An admin lists its organisation's users", parameters=_SESSIONS_ORG
    ),
    "CreateBusinessUser": link(
        "post", USERS, "An admin creates a business user", parameters=_SESSIONS_ORG
    ),
}

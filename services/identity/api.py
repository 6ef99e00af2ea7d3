"""Identity's HTTP routes: parse, call a use case, map refusals to problems.

No ``from __future__ import annotations`` here: FastAPI reads the dependencies declared in
annotations, and those built inside ``router`` must be evaluated where they are defined.
"""

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Cookie, Depends, Header, Path, Request, Response, status

from contracts import Actor, ActorKind
from contracts.common import Role, UserProfile
from servicekit.problems import Problem, ProblemCode
from services.identity import domain, email_change, profiles, sessions
from services.identity.login import LoginAnswer
from services.identity.realms import ForgottenIdRoute, RealmPolicy, realm_policy
from services.identity.schemas import (
    MAIL_SENT_ANSWER,
    Accepted,
    BusinessUserOut,
    BusinessUserView,
    Credentials,
    EmailChangeConfirmation,
    EmailChangeRequest,
    ForcedPassword,
    ForgottenIdOut,
    ForgottenIdRequest,
    HintOut,
    HintRequest,
    LoginIdChange,
    LoginOut,
    NewBusinessUser,
    NewGroupReader,
    NewMember,
    NewOrganisation,
    OrganisationOut,
    PasswordChange,
    PhoneChange,
    SessionOut,
    StatusChange,
    TemporaryPasswordRequest,
)
from services.identity.signin import SignInUseCases
from services.identity.usecases import (
    PROVISIONING,
    BusinessUserLimitReached,
    IdentityUseCases,
    LoginIdTaken,
    MissingContact,
    NotFound,
    NotPermitted,
    PasswordRefused,
    WrongPassword,
)

TOKYO = ZoneInfo("Asia/Tokyo")
REMEMBER_ID_COOKIE = "__Host-remember-id"

RealmName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["dantai-net"])]


# Dependencies are ``async def`` although they await nothing: FastAPI runs a plain ``def``
# dependency in a worker thread, a hop that cost introspection a tenth of its throughput.


async def realm(realm: RealmName) -> RealmPolicy:
    policy = realm_policy(realm)
    if policy is None:
        raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
    return policy


CSRF_HEADER = "X-CSRF-Protection"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_token(
    request: Request,
    session_cookie: Annotated[str | None, Cookie(alias=sessions.COOKIE)] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The session id from a bearer header (the gateway, services) or the cookie (browsers).

    A state-changing request that authenticates with the cookie must also carry the custom
    ``X-CSRF-Protection`` header (X-12): a cross-site form cannot set it, and cross-site
    scripts cannot send it without a CORS preflight that this API never grants.
    """
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    if session_cookie:
        if request.method not in SAFE_METHODS and CSRF_HEADER.lower() not in request.headers:
            raise Problem(ProblemCode.CSRF_CHECK_FAILED)
        return session_cookie
    raise Problem(ProblemCode.SESSION_EXPIRED)


Realm = Annotated[RealmPolicy, Depends(realm)]
OrgId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
UserId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Token = Annotated[str, Depends(session_token)]


def router(
    usecases: IdentityUseCases,
    signin: SignInUseCases,
    maintenance: frozenset[str],
    provisioning_token: str = "",
) -> APIRouter:
    api = APIRouter(prefix="/v1")

    def refuse_in_maintenance(policy: RealmPolicy) -> None:
        if policy.name in maintenance:  # REALM-03
            raise Problem(ProblemCode.MAINTENANCE)

    @api.post(
        "/realms/{realm}/orgs",
        status_code=status.HTTP_201_CREATED,
        tags=["organisations"],
        summary="Create an organisation with its admin user",
        responses={409: {"description": "LOGIN_ID_TAKEN"}, 404: {"description": "REALM_NOT_FOUND"}},
    )
    async def create_org(
        policy: Realm,
        body: NewOrganisation,
        token: Token,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> OrganisationOut:
        """Stores the organisation and its one admin (ID-USER-01) and emits ``UserCreated``.

        Opened by the realm's support desk (a support session) or by the back-office system
        that accepted the application (``Authorization: Bearer`` with the provisioning token).
        The admin's initial password is in this answer only (ID-PW-03); it must be changed at
        the first login. Send an ``Idempotency-Key`` header to make a retry safe: the same key
        names the same organisation, and a repeat answers it again instead of creating another.
        """
        opened_by = await organisation_opener(policy, token)
        if policy.members:
            raise Problem(
                ProblemCode.NOT_FOUND, detail="このサービスの会員は個人で、団体はありません"
            )
        if not policy.admin_login_id.match(body.admin.login_id):
            raise Problem(ProblemCode.VALIDATION_ERROR, detail="login_id の形式が正しくありません")
        check_profile(body.admin.profile, ["body", "admin", "profile"])
        with refusals():
            created = await usecases.create_organisation(
                policy,
                body.name,
                body.admin.login_id,
                body.admin.profile,
                opened_by,
                idempotency_key,
            )
        org = created.organisation
        return OrganisationOut(**org.__dict__, initial_password=created.initial_password)

    @api.get(
        "/realms/{realm}/orgs/{org_id}", tags=["organisations"], summary="Read an organisation"
    )
    async def read_org(policy: Realm, org_id: OrgId, token: Token) -> domain.Organisation:
        """For the provisioning system, and for whoever may read the organisation's users."""
        if not is_provisioning(token):
            s = await current_session(token)
            if not domain.may_read(
                s.role, s.realm, s.org_id, s.restricted, s.readable_org_ids, policy.name, org_id
            ):
                raise _not_permitted(s)
        org = await usecases.organisation(policy.name, org_id)
        if org is None:
            raise Problem(ProblemCode.NOT_FOUND)
        return org

    @api.post(
        "/realms/{realm}/login",
        tags=["login"],
        summary="Log in with a login ID and password (ID-LOGIN-01)",
        responses={
            401: {"description": "INVALID_CREDENTIALS"},
            403: {"description": "ACCOUNT_DISABLED"},
            422: {"description": "HALF_WIDTH_REQUIRED"},
            423: {"description": "ACCOUNT_LOCKED"},
            503: {"description": "MAINTENANCE"},
        },
    )
    async def log_in(
        request: Request, response: Response, policy: Realm, body: Credentials
    ) -> LoginOut:
        """Checks in the order of ID-LOGIN-01. An unknown login ID is answered, timed and locked
        exactly like a wrong password. Success sets the opaque session cookie."""
        login_id = body.login_id.strip()
        if not (domain.is_half_width(login_id) and domain.is_half_width(body.password)):
            raise Problem(ProblemCode.HALF_WIDTH_REQUIRED)  # step 1: not counted
        refuse_in_maintenance(policy)  # step 2
        outcome = await signin.log_in(
            policy,
            login_id,
            body.password,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
        answer = outcome.result.answer
        if answer is LoginAnswer.LOCKED:
            raise Problem(ProblemCode.ACCOUNT_LOCKED)
        if answer is LoginAnswer.DISABLED:
            raise Problem(ProblemCode.ACCOUNT_DISABLED)
        if answer is not LoginAnswer.SUCCEEDED or outcome.session_token is None:
            raise Problem(ProblemCode.INVALID_CREDENTIALS)
        _set_cookie(response, sessions.COOKIE, outcome.session_token)
        if body.remember_id:  # ID-LOGIN-03: the last ID wins; unchecked clears it
            _set_cookie(response, REMEMBER_ID_COOKIE, login_id, max_age=365 * 24 * 3600)
        else:
            response.delete_cookie(REMEMBER_ID_COOKIE, path="/", secure=True, httponly=True)
        result = outcome.result
        previous = result.previous_login_at
        return LoginOut(
            user_id=result.user_id or "",
            role=result.role or "",
            previous_login_at=previous.astimezone(TOKYO) if previous else None,
            password_change_required=result.must_change_password,
        )

    @api.get(
        "/sessions/current",
        tags=["sessions"],
        summary="Introspect a session (ID-SESS-02): for the gateway and other services",
        responses={401: {"description": "SESSION_EXPIRED"}},
    )
    async def introspect(token: Token) -> SessionOut:
        found = await signin.introspect(token)
        if found is None:
            raise Problem(ProblemCode.SESSION_EXPIRED)
        return SessionOut(**{k: getattr(found, k) for k in SessionOut.model_fields})

    async def current_session(token: Token) -> sessions.Session:
        found = await signin.introspect(token)
        if found is None:
            raise Problem(ProblemCode.SESSION_EXPIRED)
        return found

    CurrentSession = Annotated[sessions.Session, Depends(current_session)]

    def is_provisioning(token: str) -> bool:
        return bool(provisioning_token) and hmac.compare_digest(
            token.encode(), provisioning_token.encode()
        )

    async def organisation_opener(policy: RealmPolicy, token: str) -> Actor:
        """Who may open an organisation: the provisioning system or the realm's support desk."""
        if is_provisioning(token):
            return PROVISIONING
        session = await current_session(token)
        if session.restricted or session.role != Role.SUPPORT.value or session.realm != policy.name:
            raise _not_permitted(session)
        return Actor(kind=ActorKind.SUPPORT, id=session.user_id)

    @api.post(
        "/realms/{realm}/orgs/{org_id}/users",
        status_code=status.HTTP_201_CREATED,
        tags=["users"],
        summary="The organisation's admin creates a business user (ID-USER-01)",
    )
    async def create_business_user(
        response: Response,
        policy: Realm,
        org_id: OrgId,
        body: NewBusinessUser,
        session: CurrentSession,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> BusinessUserOut:
        login_id = body.login_id.strip()
        if not domain.is_half_width(login_id):
            raise Problem(ProblemCode.HALF_WIDTH_REQUIRED)
        if not policy.business_login_id.match(login_id):
            raise Problem(ProblemCode.VALIDATION_ERROR, detail="login_id の形式が正しくありません")
        check_profile(body.profile, ["body", "profile"])
        with refusals(session):
            created = await usecases.create_business_user(
                policy, session, org_id, login_id, body.profile, idempotency_key
            )
        if created.pending:
            response.status_code = status.HTTP_202_ACCEPTED
        return BusinessUserOut(**created.__dict__)

    @api.post(
        "/realms/{realm}/orgs/{org_id}/id-requests/{user_id}/approve",
        status_code=status.HTTP_201_CREATED,
        tags=["users"],
        summary="Support approves an admin's request for a business ID (ID-USER-10)",
    )
    async def approve_id_request(
        policy: Realm, org_id: OrgId, user_id: UserId, session: CurrentSession
    ) -> BusinessUserOut:
        with refusals(session):
            created = await usecases.approve_id_request(policy, session, org_id, user_id)
        return BusinessUserOut(**created.__dict__)

    @api.post(
        "/realms/{realm}/group-readers",
        status_code=status.HTTP_201_CREATED,
        tags=["users"],
        summary="Support issues a group-wide read-only ID (ID-USER-09)",
    )
    async def create_group_reader(
        policy: Realm, body: NewGroupReader, session: CurrentSession
    ) -> BusinessUserOut:
        login_id = body.login_id.strip()
        if not (domain.is_half_width(login_id) and policy.business_login_id.match(login_id)):
            raise Problem(ProblemCode.VALIDATION_ERROR, detail="login_id の形式が正しくありません")
        with refusals(session):
            created = await usecases.create_group_reader(policy, session, login_id, body.org_ids)
        return BusinessUserOut(**created.__dict__)

    @api.get(
        "/realms/{realm}/orgs/{org_id}/users",
        tags=["users"],
        summary="The organisation's business users, for its admin (ID-USER-07)",
    )
    async def list_business_users(
        policy: Realm, org_id: OrgId, session: CurrentSession
    ) -> list[BusinessUserView]:
        with refusals(session):
            users = await usecases.business_users(policy, session, org_id)
        return [BusinessUserView.model_validate(u) for u in users]

    @api.put(
        "/realms/{realm}/orgs/{org_id}/users/{user_id}/profile",
        status_code=204,
        tags=["users"],
        summary="The admin replaces a business user's profile (ID-USER-06)",
    )
    async def change_profile(
        policy: Realm, org_id: OrgId, user_id: UserId, body: UserProfile, session: CurrentSession
    ) -> Response:
        check_profile(body, ["body"])
        with refusals(session):
            await usecases.change_profile(policy, session, org_id, user_id, body)
        return Response(status_code=204)

    @api.put(
        "/realms/{realm}/orgs/{org_id}/users/{user_id}/status",
        status_code=204,
        tags=["users"],
        summary="The admin makes a business user active or inactive (ID-USER-05)",
    )
    async def change_status(
        policy: Realm, org_id: OrgId, user_id: UserId, body: StatusChange, session: CurrentSession
    ) -> Response:
        with refusals(session):
            await usecases.change_status(policy, session, org_id, user_id, body.active)
        return Response(status_code=204)

    @api.post(
        "/realms/{realm}/orgs/{org_id}/users/{user_id}/initialise",
        status_code=204,
        tags=["users"],
        summary="Back to the initial password, unlocked (ID-PW-06, ID-LOCK-04)",
    )
    async def initialise(
        policy: Realm, org_id: OrgId, user_id: UserId, session: CurrentSession
    ) -> Response:
        with refusals(session):
            await usecases.initialise_password(policy, session, org_id, user_id)
        return Response(status_code=204)

    @api.put(
        "/realms/{realm}/orgs/{org_id}/users/{user_id}/password",
        status_code=204,
        tags=["users"],
        summary="The admin sets a business user's password, which unlocks it (ID-PW-06)",
    )
    async def force_password(
        policy: Realm, org_id: OrgId, user_id: UserId, body: ForcedPassword, session: CurrentSession
    ) -> Response:
        if not domain.is_half_width(body.new_password):
            raise Problem(ProblemCode.HALF_WIDTH_REQUIRED)
        with refusals(session):
            await usecases.force_password(policy, session, org_id, user_id, body.new_password)
        return Response(status_code=204)

    @api.post(
        "/realms/{realm}/password",
        status_code=204,
        tags=["users"],
        summary="Change one's own password (also the forced change of ID-PW-03)",
    )
    async def change_password(
        policy: Realm, body: PasswordChange, token: Token, session: CurrentSession
    ) -> Response:
        if session.realm != policy.name:
            raise Problem(ProblemCode.SESSION_EXPIRED)
        if not (
            domain.is_half_width(body.current_password) and domain.is_half_width(body.new_password)
        ):
            raise Problem(ProblemCode.HALF_WIDTH_REQUIRED)
        with refusals():
            await signin.change_password(
                policy, token, session, body.current_password, body.new_password, body.hint
            )
        return Response(status_code=204)

    @api.post(
        "/realms/{realm}/temporary-password",
        status_code=202,
        tags=["login"],
        summary="Forgot the password: a temporary one by mail to the registered address (ID-PW-05)",
    )
    async def temporary_password(policy: Realm, body: TemporaryPasswordRequest) -> Accepted:
        """Always answers the same, whether or not the ID and e-mail belong together."""
        if not policy.temporary_password_roles:
            raise Problem(
                ProblemCode.NOT_FOUND, detail="このサービスでは仮パスワードを発行できません"
            )
        refuse_in_maintenance(policy)
        await signin.request_temporary_password(policy, body.login_id.strip(), body.email.strip())
        return Accepted(message=MAIL_SENT_ANSWER)

    @api.post(
        "/realms/{realm}/email-change",
        status_code=202,
        tags=["users"],
        summary="Change one's e-mail: a 24-hour link goes to the new address (ID-EMAIL-01)",
    )
    async def request_email_change(
        policy: Realm, body: EmailChangeRequest, session: CurrentSession
    ) -> Accepted:
        with refusals(session):
            await signin.request_email_change(policy, session, body.new_email)
        return Accepted(message="新しいメールアドレスに確認用のリンクを送信しました（24時間有効）")

    @api.post(
        "/realms/{realm}/email-change/confirm",
        tags=["users"],
        summary="Follow the link: the POST of its confirmation page changes the address",
        responses={404: {"description": "LINK_INVALID"}, 410: {"description": "LINK_EXPIRED"}},
    )
    async def confirm_email_change(policy: Realm, body: EmailChangeConfirmation) -> Accepted:
        outcome = await signin.confirm_email_change(policy, body.token)
        if outcome is email_change.Confirmation.EXPIRED:
            raise Problem(ProblemCode.LINK_EXPIRED)
        if outcome is email_change.Confirmation.INVALID:
            raise Problem(ProblemCode.LINK_INVALID)
        return Accepted(message="メールアドレスの変更が完了しました")

    @api.post(
        "/realms/{realm}/password-hint",
        tags=["login"],
        summary="Forgot the password: the hint for an ID, never the password (ID-PW-04)",
    )
    async def password_hint(policy: Realm, body: HintRequest) -> HintOut:
        if not policy.password_hint:
            raise Problem(ProblemCode.NOT_FOUND, detail="このサービスではヒントを表示できません")
        refuse_in_maintenance(policy)
        return HintOut(hint=await signin.password_hint(policy, body.login_id.strip()))

    @api.post(
        "/realms/{realm}/members",
        status_code=status.HTTP_201_CREATED,
        tags=["members"],
        summary="Support registers an individual member; the password goes by mail (ID-USER-03)",
    )
    async def register_member(
        policy: Realm,
        body: NewMember,
        session: CurrentSession,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> BusinessUserOut:
        login_id = member_login_id(policy, body.login_id)
        check_profile(body.profile, ["body", "profile"])
        with refusals(session):
            created = await usecases.register_member(
                policy, session, login_id, body.profile, idempotency_key
            )
        return BusinessUserOut(**created.__dict__)

    @api.post(
        "/realms/{realm}/members/{user_id}/initialise",
        status_code=204,
        tags=["members"],
        summary="Support sets a member back to the initial password, unlocked (ID-USER-03, -04)",
    )
    async def initialise_member(
        policy: Realm, user_id: UserId, session: CurrentSession
    ) -> Response:
        with refusals(session):
            await usecases.initialise_password(policy, session, None, user_id)
        return Response(status_code=204)

    @api.put(
        "/realms/{realm}/login-id",
        status_code=204,
        tags=["members"],
        summary="A member changes their own login ID, confirmed by password (ID-USER-08)",
    )
    async def change_login_id(
        policy: Realm, body: LoginIdChange, session: CurrentSession
    ) -> Response:
        if not domain.is_half_width(body.current_password):
            raise Problem(ProblemCode.HALF_WIDTH_REQUIRED)
        login_id = member_login_id(policy, body.login_id)
        with refusals(session):
            await signin.change_login_id(policy, session, body.current_password, login_id)
        return Response(status_code=204)

    @api.put(
        "/realms/{realm}/phone",
        status_code=204,
        tags=["members"],
        summary="A member changes their own phone number (ID-USER-08)",
    )
    async def change_phone(policy: Realm, body: PhoneChange, session: CurrentSession) -> Response:
        with refusals(session):
            await signin.change_phone(policy, session, body.phone)
        return Response(status_code=204)

    @api.post(
        "/realms/{realm}/orgs/{org_id}/users/{user_id}/reset",
        status_code=204,
        tags=["users"],
        summary="Reset: a new random password mailed to the admin, unlocked (ID-PW-06, nexi)",
    )
    async def reset_password(
        policy: Realm, org_id: OrgId, user_id: UserId, session: CurrentSession
    ) -> Response:
        with refusals(session):
            await usecases.reset_password(policy, session, org_id, user_id)
        return Response(status_code=204)

    @api.post(
        "/realms/{realm}/forgotten-login-id",
        tags=["login"],
        summary="Forgot the login ID: where to turn, never whether an address is known",
    )
    async def forgotten_login_id(policy: Realm, body: ForgottenIdRequest) -> ForgottenIdOut:
        """ID-LOGIN-05: the answer depends on the realm only, never on the address given."""
        route = policy.forgotten_id_route
        return ForgottenIdOut(route=route.value, message=FORGOTTEN_ID_GUIDANCE[route])

    @api.post("/logout", tags=["sessions"], status_code=204, summary="End the session")
    async def log_out(token: Token, response: Response) -> Response:
        await signin.logout(token)
        response.status_code = 204
        response.delete_cookie(sessions.COOKIE, path="/", secure=True, httponly=True)
        return response

    return api


#: What someone who forgot their login ID is told, per realm route (ID-LOGIN-05, seed 000 Q5,
#: seed 003).
FORGOTTEN_ID_GUIDANCE = {
    ForgottenIdRoute.ADMIN_LISTS: (
        "業務用IDは、管理用IDでログイン後の一覧でご確認いただけます。"
        "管理用IDは、センターよりお送りした「ID通知書」をご確認ください。"
        "ID通知書を紛失された場合は、サポートデスクへお問い合わせください。"
    ),
    ForgottenIdRoute.SUPPORT_DESK: (
        "ログインIDをお忘れの方は、お客様サポートへお問い合わせください。"
        "ご本人様確認を実施した上でお調べいたします。"
    ),
}


def member_login_id(policy: RealmPolicy, given: str) -> str:
    """A member's login ID in the realm's format (ID-USER-02), half-width (X-06)."""
    login_id = given.strip()
    if not domain.is_half_width(login_id):
        raise Problem(ProblemCode.HALF_WIDTH_REQUIRED)
    if not policy.member_login_id.match(login_id):
        raise Problem(ProblemCode.VALIDATION_ERROR, detail="login_id の形式が正しくありません")
    return login_id


def check_profile(profile: UserProfile, location: list[str]) -> None:
    """ID-USER-06 lengths and X-07 characters; each error names the field and the character."""
    errors = profiles.profile_errors(profile)
    if errors:
        raise Problem(
            ProblemCode.VALIDATION_ERROR,
            errors=[
                {"location": [*location, e.field], "message": e.message, "type": "profile"}
                for e in errors
            ],
        )


@contextmanager
def refusals(session: sessions.Session | None = None) -> Iterator[None]:
    """The use cases' refusals as the problems a client reads, in one place for every route."""
    try:
        yield
    except NotPermitted:
        raise _not_permitted(session) from None
    except NotFound:
        raise Problem(ProblemCode.NOT_FOUND) from None
    except LoginIdTaken:
        raise Problem(ProblemCode.LOGIN_ID_TAKEN) from None
    except BusinessUserLimitReached:
        raise Problem(ProblemCode.BUSINESS_USER_LIMIT) from None
    except PasswordRefused as refused:
        raise Problem(ProblemCode.PASSWORD_POLICY, detail=str(refused)) from None
    except WrongPassword:
        raise Problem(ProblemCode.INVALID_CREDENTIALS) from None
    except MissingContact as missing:
        raise Problem(ProblemCode.VALIDATION_ERROR, detail=str(missing)) from None


def _not_permitted(session: sessions.Session | None) -> Problem:
    """A restricted session is told to change its password first (ID-LOGIN-01 step 7)."""
    if session is not None and session.restricted:
        return Problem(ProblemCode.PASSWORD_CHANGE_REQUIRED)
    return Problem(ProblemCode.FORBIDDEN)


def _set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """``__Host-`` cookies: Secure, Path=/, no Domain (X-12); HttpOnly and SameSite=Lax."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )

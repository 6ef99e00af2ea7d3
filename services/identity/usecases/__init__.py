"""Identity's use cases: load, decide, commit, one method per command, grouped by the portal's
words. :class:`Identity` holds them all; ``app.py`` builds it once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr

from services.identity.domain.bot_defence import ChallengePolicy
from services.identity.usecases.accounts import Accounts
from services.identity.usecases.authorisation import Authorisation
from services.identity.usecases.bot_defence import BotDefence
from services.identity.usecases.context import Context
from services.identity.usecases.enrolment import Enrolments
from services.identity.usecases.home import PortalHome
from services.identity.usecases.id_requests import IdRequests
from services.identity.usecases.login import Login
from services.identity.usecases.login_steps import LoginSteps
from services.identity.usecases.members import Members
from services.identity.usecases.org_contact import OrgContacts
from services.identity.usecases.organisations import Organisations
from services.identity.usecases.otp import Otp
from services.identity.usecases.own_profile import Profiles
from services.identity.usecases.password_resets import PasswordResets
from services.identity.usecases.policies import Policies
from services.identity.usecases.self_service import SelfService
from services.identity.usecases.staff import Staff
from services.identity.usecases.upkeep import Upkeep
from services.identity.usecases.users import Users


@dataclass(frozen=True)
class Tuning:
    """How long what identity reads lately is trusted, and kencom's challenge knobs."""

    claim_grace: timedelta
    policy_ttl: timedelta
    challenges: ChallengePolicy
    app_credential_digest: SecretStr = field(default_factory=lambda: SecretStr(""))
    """SHA-256 of the kencom app's client credential (EN-09); empty: no app skips it."""
    enrolment_hold: timedelta = timedelta(hours=72)
    """How long a sign-up's credential is held, waiting for its eligibility (EN-05)."""
    introspection_trust: timedelta = timedelta(0)
    """How long introspection trusts a session this process read (X-16: under a second, the
    longest another replica's logout or disabling is not yet seen here); 0: it always reads."""
    portal_links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per realm, the addresses of the business screens outside this platform (the top page's
    menus, ``PORTAL_LINKS``)."""


@dataclass(frozen=True)
class Identity:
    context: Context
    organisations: Organisations
    users: Users
    accounts: Accounts
    login: Login
    login_steps: LoginSteps
    self_service: SelfService
    password_resets: PasswordResets
    upkeep: Upkeep
    otp: Otp
    authorisation: Authorisation
    bot_defence: BotDefence
    enrolments: Enrolments
    home: PortalHome
    id_requests: IdRequests
    members: Members
    staff: Staff
    org_contacts: OrgContacts
    profiles: Profiles

    @classmethod
    def of(cls, context: Context, tuning: Tuning) -> Identity:
        organisations = Organisations(context)
        policies = Policies(context, organisations, tuning.policy_ttl)
        bot_defence = BotDefence(context, tuning.challenges, tuning.app_credential_digest)
        login = Login(context, bot_defence, policies, tuning.introspection_trust)
        self_service = SelfService(context)
        return cls(
            context=context,
            organisations=organisations,
            users=Users(context, organisations),
            accounts=Accounts(context, policies),
            login=login,
            login_steps=LoginSteps(context),
            self_service=self_service,
            password_resets=PasswordResets(context),
            upkeep=Upkeep(context, organisations, tuning.claim_grace),
            otp=Otp(context, organisations, policies),
            authorisation=Authorisation(context, policies),
            bot_defence=bot_defence,
            enrolments=Enrolments(context, tuning.enrolment_hold),
            home=PortalHome(context, tuning.portal_links),
            id_requests=IdRequests(context, organisations),
            members=Members(context),
            staff=Staff(context, organisations),
            org_contacts=OrgContacts(context, organisations),
            profiles=Profiles(context, self_service),
        )

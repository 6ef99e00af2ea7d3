"""Identity's use cases: load, decide, commit, one method per command, grouped by the portal's
words. :class:`Identity` holds them all; ``app.py`` builds it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.identity.usecases.accounts import Accounts
from services.identity.usecases.context import Context
from services.identity.usecases.enrolment import Enrolments
from services.identity.usecases.login import Login
from services.identity.usecases.login_steps import LoginSteps
from services.identity.usecases.organisations import Organisations
from services.identity.usecases.self_service import SelfService
from services.identity.usecases.upkeep import Upkeep
from services.identity.usecases.users import Users


@dataclass(frozen=True)
class Identity:
    context: Context
    organisations: Organisations
    users: Users
    accounts: Accounts
    login: Login
    login_steps: LoginSteps
    self_service: SelfService
    upkeep: Upkeep
    enrolments: Enrolments

    @classmethod
    def of(
        cls, context: Context, claim_grace: timedelta, hold_for: timedelta = timedelta(hours=72)
    ) -> Identity:
        organisations = Organisations(context)
        return cls(
            context=context,
            organisations=organisations,
            users=Users(context, organisations),
            accounts=Accounts(context),
            login=Login(context),
            login_steps=LoginSteps(context),
            self_service=SelfService(context),
            upkeep=Upkeep(context, organisations, claim_grace),
            enrolments=Enrolments(context, hold_for),
        )

"""Identity's HTTP routes: parse, call a use case, map refusals to problems."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, status
from pydantic import BaseModel, ConfigDict, Field

from contracts.common import UserProfile
from servicekit.problems import Problem, ProblemCode
from services.identity import domain
from services.identity.usecases import IdentityUseCases, LoginIdTaken

RealmName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$", examples=["dantai-net"])]


class NewAdmin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(
        pattern=domain.HALF_WIDTH_LOGIN_ID.pattern, examples=["XA3000001"], description="半角英数字"
    )
    profile: UserProfile = Field(default_factory=UserProfile)


class NewOrganisation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "サンプル健康保険組合",
                    "admin": {
                        "login_id": "XA3000001",
                        "profile": {"name": "山田太郎", "email": "admin@example.jp"},
                    },
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100, description="団体名")
    admin: NewAdmin


def known_realm(realm: str) -> str:
    if realm not in domain.KNOWN_REALMS:
        raise Problem(ProblemCode.REALM_NOT_FOUND, detail=f"realm {realm!r}")
    return realm


def router(usecases: IdentityUseCases) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["organisations"])

    @api.post(
        "/realms/{realm}/orgs",
        status_code=status.HTTP_201_CREATED,
        summary="Create an organisation with its admin user",
        responses={409: {"description": "LOGIN_ID_TAKEN"}, 404: {"description": "REALM_NOT_FOUND"}},
    )
    async def create_org(
        realm: RealmName,
        body: NewOrganisation,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> domain.Organisation:
        """Stores the organisation and its one admin (ID-USER-01) and emits ``UserCreated``.

        Send an ``Idempotency-Key`` header to make a retry safe: the same key names the same
        organisation, and a repeat answers it again instead of creating another.
        """
        try:
            org = await usecases.create_organisation(
                known_realm(realm),
                body.name,
                body.admin.login_id,
                body.admin.profile,
                idempotency_key,
            )
        except LoginIdTaken:
            raise Problem(ProblemCode.LOGIN_ID_TAKEN) from None
        return org

    @api.get("/realms/{realm}/orgs/{org_id}", summary="Read an organisation")
    async def read_org(
        realm: RealmName, org_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
    ) -> domain.Organisation:
        org = await usecases.organisation(known_realm(realm), org_id)
        if org is None:
            raise Problem(ProblemCode.NOT_FOUND)
        return org

    return api

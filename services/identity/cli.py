"""Operator commands: ``python -m services.identity create-support-operator REALM LOGIN_ID``.

Support operators (サポートデスク, ID-USER-04) are realm staff; there is nobody above them to
create them through the API, so an operator with access to the deployment creates them here.
The command commits through the same versioned store as the API, so its events reach the bus
through the identity service's outbox relay. It prints the operator's initial password once.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from servicekit.runtime import Runtime
from services.identity.app import bootstrap
from services.identity.domain.realms import realm_policy
from services.identity.settings import IdentitySettings


async def create_support_operator(realm_name: str, login_id: str) -> dict[str, str | None]:
    realm = realm_policy(realm_name)
    if realm is None:
        raise SystemExit(f"unknown realm {realm_name!r}")
    settings = IdentitySettings()
    runtime = Runtime(settings)
    try:
        created = await bootstrap(settings, runtime).users.create_support_operator(realm, login_id)
    finally:
        await runtime.mongo.close()
    return {
        "user_id": created.user_id,
        "login_id": created.login_id,
        "initial_password": created.initial_password,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.identity")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-support-operator", help="create a support operator")
    create.add_argument("realm")
    create.add_argument("login_id")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(create_support_operator(args.realm, args.login_id))))

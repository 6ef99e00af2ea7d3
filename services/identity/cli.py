"""Operator commands of ``python -m services.identity``:

- ``create-support-operator REALM LOGIN_ID``: a realm's first support operator;
- ``backfill-org-directory [REALM ...]``: organisations opened before the support console's
  directory existed, recorded in it so the console finds them by name (idempotent);
- ``backfill-claim-roles [--limit N]``: the role of each login ID's user, on claims made before
  the console listed a realm's staff (bounded per run, idempotent).

Support operators (サポートデスク, ID-USER-04) are realm staff; there is nobody above them to
create them through the API, so an operator with access to the deployment creates them here.
The command commits through the same versioned store as the API, so its events reach the bus
through the identity service's outbox relay. It prints the operator's initial password once.

``backfill-claim-roles`` is run once after the release that records a user's role on its
login ID's claim (``usecases.staff``): it gives claims made before it their user's role, at
most ``--limit`` per run, and prints how many are left; run it again until ``left`` is 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from servicekit.runtime import Runtime
from services.identity.app import bootstrap
from services.identity.domain.realms import PRESETS, realm_policy
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


async def backfill_org_directory(realm_names: list[str]) -> dict[str, int]:
    """How many organisations of each realm were recorded in the console's directory."""
    unknown = [name for name in realm_names if realm_policy(name) is None]
    if unknown:
        raise SystemExit(f"unknown realm {unknown[0]!r}")
    settings = IdentitySettings()
    runtime = Runtime(settings)
    try:
        organisations = bootstrap(settings, runtime).organisations
        return {
            name: await organisations.backfill_directory(PRESETS[name])
            for name in realm_names or sorted(PRESETS)
        }
    finally:
        await runtime.mongo.close()


async def backfill_claim_roles(limit: int) -> dict[str, int]:
    settings = IdentitySettings()
    runtime = Runtime(settings)
    try:
        done = await bootstrap(settings, runtime).staff.record_old_claims_roles(limit)
    finally:
        await runtime.mongo.close()
    return {"recorded": done.recorded, "skipped": done.skipped, "left": done.left}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.identity")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-support-operator", help="create a support operator")
    create.add_argument("realm")
    create.add_argument("login_id")
    backfill = commands.add_parser(
        "backfill-org-directory",
        help="record organisations opened before the console's directory (all realms by default)",
    )
    backfill.add_argument("realms", nargs="*")
    roles = commands.add_parser(
        "backfill-claim-roles", help="record their user's role on claims made before roles were"
    )
    roles.add_argument("--limit", type=int, default=10_000, help="claims read in this run")
    args = parser.parse_args(argv)
    if args.command == "backfill-org-directory":
        print(json.dumps(asyncio.run(backfill_org_directory(args.realms))))
        return
    if args.command == "backfill-claim-roles":
        print(json.dumps(asyncio.run(backfill_claim_roles(max(1, args.limit)))))
        return
    print(json.dumps(asyncio.run(create_support_operator(args.realm, args.login_id))))

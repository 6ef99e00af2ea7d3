"""Operator commands: ``python -m services.certs backfill-notice-keys``.

The support console finds a holder by a notice's 企保ネットコード or 管理番号 through an index
written when a notice is recorded (WEB-04); holders whose notices were recorded before the
console existed are found only by user ID until this command indexes their notices. It is a
command, not a task at every start: an operator runs a migration once, on purpose, and reads
what it did; running it again adds nothing, so a second run (or one interrupted and run again)
is harmless. It reads holders and writes index keys only: no holder changes, no event.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from servicekit.runtime import Runtime
from services.certs.app import bootstrap
from services.certs.settings import CertsSettings


async def backfill_notice_keys(batch: int) -> dict[str, int | str]:
    settings = CertsSettings()
    runtime = Runtime(settings)
    try:
        done = await bootstrap(settings, runtime).certificates.index_earlier_notices(batch)
    finally:
        await runtime.mongo.close()
    return {
        "realm": settings.realm,
        "holders": done.holders,
        "notices": done.notices,
        "keys_added": done.added,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.certs")
    commands = parser.add_subparsers(dest="command", required=True)
    backfill = commands.add_parser(
        "backfill-notice-keys",
        help="index the notices recorded before the support console, for its searches",
    )
    backfill.add_argument(
        "--batch", type=int, default=200, help="holders read per write (default 200)"
    )
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    print(json.dumps(asyncio.run(backfill_notice_keys(args.batch))))

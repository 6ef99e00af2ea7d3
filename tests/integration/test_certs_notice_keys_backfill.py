"""``python -m services.certs backfill-notice-keys`` (WEB-04): holders whose notices were
recorded before the support console's index existed are found by 企保ネットコード and 管理番号
once the command has run, and a second run adds nothing.

A holder of before the console is made as it was then: its notices recorded through the use
case (the store's own mapping), then its index keys deleted, which is what a holder recorded
before issue 22 has. The command runs as an operator runs it, a process on the service's
settings; the certs app in this process only records and searches.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import string
import subprocess
import sys
from typing import Any

import pytest
from certs_portal import CertPortal, Holder, cert_portal, new_user_id
from harness import REPO, Infra, Namespace

from services.certs.domain.holders import SearchBy

pytestmark = pytest.mark.integration


async def backfilled(infra: Infra, ns: Namespace, *options: str) -> dict[str, Any]:
    """The command on the test's namespace, as an operator runs it: what it printed."""
    env = {**os.environ, **infra.env(), "MONGODB_DATABASE": ns.database("certs")}
    env["KAFKA_TOPIC_PREFIX"] = ns.topic_prefix
    command = [sys.executable, "-m", "services.certs", "backfill-notice-keys", *options]
    done = await asyncio.to_thread(
        subprocess.run, command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def found(portal: CertPortal, by: SearchBy, value: str) -> list[str]:
    """The user IDs the console's search finds (the use case its page calls)."""
    holders = await portal.app.state.certs.certificates.find_holders(by, value)
    return [h.user_id for h in holders]


async def test_web_04_a_holder_recorded_before_the_console_is_found_by_code_after_the_backfill(
    infra: Infra, ns: Namespace
) -> None:
    async with cert_portal(infra, ns) as portal:
        store = portal.app.state.certs.store
        earlier = Holder(new_user_id(), kihonet_code="".join(random.choices(string.digits, k=8)))
        await portal.notice(earlier)
        first_number = earlier.management_number
        earlier.management_number = Holder(new_user_id()).management_number  # a reissue's own
        await portal.notice(earlier, reason="pc_change")
        recent = Holder(new_user_id(), kihonet_code="".join(random.choices(string.digits, k=8)))
        await portal.notice(recent)
        gone = await store.notice_keys.delete_many({"user_id": earlier.user_id})
        assert gone.deleted_count == 2

        # As before the console: only its user ID finds it.
        assert await found(portal, SearchBy.KIHONET_CODE, earlier.kihonet_code) == []
        assert await found(portal, SearchBy.MANAGEMENT_NUMBER, first_number) == []
        assert await found(portal, SearchBy.USER_ID, earlier.user_id) == [earlier.user_id]

        # One holder a write: the walk goes on past its first batch.
        first = await backfilled(infra, ns, "--batch", "1")
        assert first == {"realm": "kihonet", "holders": 2, "notices": 3, "keys_added": 2}
        assert await found(portal, SearchBy.KIHONET_CODE, earlier.kihonet_code) == [earlier.user_id]
        for number in (first_number, earlier.management_number):
            assert await found(portal, SearchBy.MANAGEMENT_NUMBER, number) == [earlier.user_id]
        assert await found(portal, SearchBy.KIHONET_CODE, recent.kihonet_code) == [recent.user_id]

        keys = await store.notice_keys.count_documents({})
        again = await backfilled(infra, ns)
        assert again == {"realm": "kihonet", "holders": 2, "notices": 3, "keys_added": 0}
        assert await store.notice_keys.count_documents({}) == keys == 3

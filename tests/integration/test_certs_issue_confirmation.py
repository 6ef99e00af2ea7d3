"""kihonet's issue screen confirms the e-mail address before any certificate exists (CT-12, seed
001 ⑦): 確認する and 修正する read no notice and change nothing; only the confirmation's
証明書を発行する issues, once per confirmation however often it is sent; and the reminders of
CT-07 go to the address confirmed, read from Mailpit through real Kafka and notify, with certs'
clock moved, never slept."""

from __future__ import annotations

import asyncio
import html
import re
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from certs_portal import CertPortal, Holder, cert_portal, new_user_id
from harness import Infra, Namespace, eventually
from mail_events import PRIVATE_KEY

pytestmark = pytest.mark.integration

PAGE = "/realms/kihonet/certificate-issue"
CSRF = secrets.token_urlsafe(32)
PASSWORD = "issue-pass-12"


@pytest.fixture
async def portal(infra: Infra, ns: Namespace, services: Any) -> AsyncIterator[CertPortal]:
    services("notify", notify_private_key=PRIVATE_KEY)
    async with cert_portal(infra, ns) as found:
        yield found


async def post(portal: CertPortal, path: str, form: dict[str, str]) -> httpx.Response:
    """A form of the screen, as the browser sends it: with the page's CSRF token."""
    return await portal.client.post(
        f"{PAGE}{path}",
        data=form | {"csrf_token": CSRF},
        headers={"Cookie": f"__Host-csrf={CSRF}"},
    )


def key_of(page: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def nothing_issued(portal: CertPortal, holder: Holder) -> None:
    found = await portal.app.state.certs.certificates.holder(holder.user_id)
    assert found is not None and not found.certificates
    assert all(n.used_by is None for n in found.notices)


async def test_ct_12_only_the_confirmation_issues_once_and_reminders_go_to_the_confirmed_address(
    portal: CertPortal,
) -> None:
    holder = Holder(new_user_id())
    await portal.notice(holder)
    mistyped = holder.email.replace("@", "x@", 1)

    # 確認する with the mistyped address: it is shown to be confirmed; nothing is issued.
    shown = await post(portal, "/confirm", holder.fields(email=mistyped))
    assert shown.status_code == 200, shown.text
    assert f'id="confirm-email">{mistyped}<' in html.unescape(shown.text)
    await nothing_issued(portal, holder)

    # 修正する: the form again with everything typed; still nothing issued.
    back = await post(portal, "/edit", holder.fields(email=mistyped))
    assert back.status_code == 200 and f'value="{mistyped}"' in html.unescape(back.text)
    await nothing_issued(portal, holder)

    # The corrected address confirmed; its page sent twice at once, then once more.
    shown = await post(portal, "/confirm", holder.fields())
    assert shown.status_code == 200, shown.text
    issue = holder.fields() | {
        "key": key_of(shown.text),
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    answers = await asyncio.gather(post(portal, "", issue), post(portal, "", issue))
    again = await post(portal, "", issue)
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    assert again.status_code == 200 and 'id="issued-before"' in again.text, again.text
    found = await portal.app.state.certs.certificates.holder(holder.user_id)
    assert found is not None and len(found.certificates) == 1, "one certificate, one confirmation"
    cert = found.certificates[0]
    assert cert.email == holder.email
    assert all(cert.serial_number in a.text for a in (*answers, again))

    # Another confirmation of the same notice is the notice's second use: refused (CT-06).
    other = await post(portal, "/confirm", holder.fields())
    refused = await post(portal, "", issue | {"key": key_of(other.text)})
    assert refused.status_code == 409, refused.text

    # The 30-day reminder (CT-07) goes to the confirmed address, none to the mistyped one.
    portal.clock.set(cert.not_after - timedelta(days=30))
    assert await portal.app.state.certs.reminders.run_once() == 1

    def reminders() -> list[Any] | None:
        found = [m for m in portal.mail.mails_to(holder.email) if "更新のご案内" in m["Subject"]]
        return found or None

    assert await eventually(reminders, timeout=60)
    assert not portal.mail.mails_to(mistyped)

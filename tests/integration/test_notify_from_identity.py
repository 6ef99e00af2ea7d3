"""Identity and notify together: a real producer's sealed secret becomes a mail that works.

The temporary password (ID-PW-05) and the e-mail change link (ID-EMAIL-01) are sealed by
identity to notify's key; notify opens them and mails them through Mailpit; the password from
the mail logs in, and the link from the mail confirms the new address (NT-01, NT-05, X-02).
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from harness import Infra, ServiceProcess, eventually
from identity_client import NEW_PASSWORD, new_org, ready_admin
from mail_catchers import Mailpit, new_address
from mail_events import PRIVATE_KEY, PUBLIC_KEY

pytestmark = pytest.mark.integration


def both(services: Any) -> tuple[ServiceProcess, ServiceProcess]:
    identity = services("identity", notify_public_key=PUBLIC_KEY)
    notify = services("notify", notify_private_key=PRIVATE_KEY)
    return identity, notify


def organisation(identity: ServiceProcess, email: str) -> dict[str, Any]:
    return new_org(identity.url, "demo", f"XA3{uuid.uuid4().hex[:8]}", {"email": email})


async def test_nt_01_nt_05_identitys_temporary_password_arrives_by_mail_and_logs_in(
    services: Any, infra: Infra
) -> None:
    identity, notify = both(services)
    to = new_address("admin")
    org = organisation(identity, to)
    asked = httpx.post(
        f"{identity.url}/v1/realms/demo/temporary-password",
        json={"login_id": org["admin_login_id"], "email": to},
    )
    assert asked.status_code == 202

    [mail] = await eventually(lambda: Mailpit(infra.mailpit_url).mails_to(to), timeout=30)
    assert mail["Subject"] == "【デモポータル】仮パスワードのお知らせ"
    body = mail.get_body(("plain",))
    assert body is not None
    found = re.search(r"仮パスワード：(\S+)", str(body.get_content()))
    assert found is not None
    password = found.group(1)
    login = httpx.post(
        f"{identity.url}/v1/realms/demo/login",
        json={"login_id": org["admin_login_id"], "password": password},
    )
    assert login.status_code == 200 and login.json()["password_change_required"] is True
    assert password not in notify.log_path.read_text() + identity.log_path.read_text()


async def test_nt_01_identitys_email_change_link_arrives_below_the_portal_url(
    services: Any, infra: Infra
) -> None:
    identity, _ = both(services)
    new = new_address("new")
    token, _ = ready_admin(
        identity.url,
        "nexi",
        login_id=f"{uuid.uuid4().int % 10**11:011d}",
        profile={"email": new_address("old")},
    )
    bearer = {"Authorization": f"Bearer {token}"}
    asked = httpx.post(
        f"{identity.url}/v1/realms/nexi/email-change",
        json={"current_password": NEW_PASSWORD, "new_email": new},
        headers=bearer,
    )
    assert asked.status_code == 202, asked.text

    [mail] = await eventually(lambda: Mailpit(infra.mailpit_url).mails_to(new), timeout=30)
    assert mail["Subject"] == "【NEXI Webサービス】メールアドレス変更の確認"
    body = mail.get_body(("plain",))
    assert body is not None
    [link] = re.findall(r"https://\S+/confirm\S*", str(body.get_content()))
    assert link.startswith("https://nexi.example.jp/realms/nexi/email-change/confirm?token=")
    token = urlsplit(link).query.removeprefix("token=")
    confirmed = httpx.post(
        f"{identity.url}/v1/realms/nexi/email-change/confirm", json={"token": token}
    )
    assert confirmed.status_code == 200, confirmed.text

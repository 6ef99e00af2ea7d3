"""The support console resets a `dantai-net` admin's registered browser and e-mail-authentication
address (WEB-04; ID-BIND-03, ID-MAIL-04; seed 000 Q10, Q15, Q16: パソコン入替, 担当者の交代,
and 「管理用IDも同様のエラーでログインができなければ、サポートデスクまでご連絡ください」) in a real
browser behind the gateway: each through its confirmation (確認する → 確定する), with the
operator's note; the admin's next login registers both anew.

Screenshots: ``artifacts/screenshots/<test>/<browser>/NN-step.png``; axe on every step."""

from __future__ import annotations

import pytest
from dantai_browser import NEW_PASSWORD, dantai_login
from mail_catchers import new_address
from portal_browser import chromium
from portal_stack import Portal
from selenium.webdriver.common.by import By

pytestmark = pytest.mark.integration

REALM = "dantai-net"


async def test_web_04_id_bind_03_id_mail_04_the_desk_resets_an_admins_browser_and_address(
    portal: Portal, request: pytest.FixtureRequest
) -> None:
    desk_id = portal.support_operator(REALM)
    org = portal.open_org(REALM, profile={"email": new_address("contact"), "phone": "03-1"})
    name = request.node.name
    with chromium(portal.url, name, "desk") as desk, chromium(portal.url, name, "admin") as admin:
        await dantai_login(
            portal, desk, desk_id["login_id"], desk_id["initial_password"], new_address("desk")
        )
        first = new_address("admin")
        await dantai_login(portal, admin, org["admin_login_id"], org["initial_password"], first)
        assert admin.cookie(f"__Host-browser-{REALM}") is not None

        page = f"/realms/{REALM}/support/orgs/{org['org_id']}"
        for what, step in (("ブラウザ情報", "browser"), ("メール認証用アドレス", "auth-email")):
            label, done = f"{what}を初期化する", f"{what}を初期化しました"
            desk.open(page, f"organisation-before-{step}")
            assert desk.driver.find_elements(By.LINK_TEXT, label), "the organisation's page"
            desk.open(f"{page}/admin/{step}", f"{step}-confirm")
            assert "確定する" in desk.text and done not in desk.text
            desk.fill("note", "パソコン入替の電話依頼")
            desk.press("確定する", f"{step}-reset")
            assert done in desk.text

        # the admin's sessions ended; its next login registers the address and the browser anew
        admin.open(f"/realms/{REALM}/home", "admin-sent-to-login")
        assert admin.path == f"/realms/{REALM}/login"
        admin.log_in(REALM, org["admin_login_id"], NEW_PASSWORD, "admin-registers-again")
        assert admin.path == f"/realms/{REALM}/login/waiting"
        assert admin.driver.find_elements(By.ID, "email"), "the address is asked for again"

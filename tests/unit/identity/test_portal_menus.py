"""The top page's menus (WEB-01, WEB-05, ID-LOGIN-04): each realm's seed menus per role, each
item a page of this platform or a business screen the settings name, protected items behind
the OTP while it is owed, and 前回ログイン日時 as seed 002 writes it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from contracts.common import Role
from services.identity.domain import portal_menus
from services.identity.domain.realms import PRESETS
from services.identity.settings import IdentitySettings


def test_id_login_04_previous_login_in_tokyo_as_seed_002_writes_it() -> None:
    at = datetime(2018, 8, 14, 0, 45, tzinfo=UTC)
    assert portal_menus.previous_login(at) == "2018/8/14 9:45"


@pytest.mark.parametrize("realm", sorted(PRESETS))
def test_web_01_every_realm_has_menus_whose_items_lead_somewhere(realm: str) -> None:
    portal = portal_menus.portal(realm)
    assert portal.menus[Role.SUPPORT][0].items[0].page == "/support/"
    for menus in portal.menus.values():
        assert menus
        for menu in menus:
            for item in menu.items:
                assert (item.page is None) != (item.link is None), item
                assert item.page is None or item.page.startswith("/")


def test_web_01_a_business_screen_leads_to_its_address_or_says_whose_it_is() -> None:
    items = portal_menus.portal("nexi").menus[Role.ADMIN][0].items
    shown = portal_menus.entries("nexi", items, {"premium-estimate": "https://x.test/e"}, False)
    assert shown[0].href == "https://x.test/e" and shown[0].external
    assert shown[1].href == "/realms/nexi/links/buyer-info" and not shown[1].external


def test_id_otp_05_protected_items_lead_to_the_otp_page_while_it_is_owed() -> None:
    items = portal_menus.portal("nexi").menus[Role.ADMIN][2].items
    owed = portal_menus.entries("nexi", items, {}, True)
    users = next(e for e in owed if e.label.startswith("Webユーザー（申込者）"))
    assert users.locked and users.href == "/realms/nexi/otp"
    free = portal_menus.entries("nexi", items, {}, False)
    assert "/realms/nexi/admin/users" in [e.href for e in free]


def test_web_01_link_targets_are_the_realms_business_screens() -> None:
    assert portal_menus.link_targets("dantai-net")["premium-claims"].startswith("保険料請求")
    assert "terms" in portal_menus.link_targets("kencom")
    assert portal_menus.link_targets("demo") == {}


def test_web_01_the_setting_names_only_known_screens_by_https() -> None:
    good = IdentitySettings(portal_links={"mypage": {"faq": "https://mypage.test/faq"}})
    assert good.portal_links["mypage"]["faq"] == "https://mypage.test/faq"
    for wrong in (
        {"mypage": {"no-such-screen": "https://x.test/"}},
        {"mypage": {"faq": "http://x.test/"}},
        {"mypage": {"faq": "javascript:alert(1)"}},
    ):
        with pytest.raises(ValidationError):
            IdentitySettings(portal_links=wrong)

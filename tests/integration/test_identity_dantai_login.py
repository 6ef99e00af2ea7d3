"""dantai-net's login completed (seed 000 Q10-Q19): browser binding (ID-BIND), the e-mail-
authentication address and the login link (ID-MAIL), through real Kafka, database and Mailpit,
with the links read from the real mails and identity's clock moved, never slept."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from dantai_login import NEW_PASSWORD, REALM, Portal, dantai_portal
from harness import Infra, Namespace, ServiceProcess
from identity_client import (
    everything_identity_wrote,
    new_org,
    opened,
    signed_in,
    through_email_authentication,
    user_events,
)
from mail_catchers import new_address
from mail_events import PRIVATE_KEY
from pymongo import AsyncMongoClient

from contracts import SealedSecret, open_sealed
from services.identity.domain.realms import PRESETS

pytestmark = pytest.mark.integration


@pytest.fixture
async def portal(infra: Infra, ns: Namespace, services: Any) -> AsyncIterator[Portal]:
    notify = services("notify", notify_private_key=PRIVATE_KEY)
    async with dantai_portal(infra, ns, notify) as found:
        yield found


async def events(
    mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace, user_id: str, kind: str
) -> list[dict[str, Any]]:
    commits = mongo[ns.database("identity")]["commits"]
    found = [
        json.loads(e["json"])
        async for c in commits.find({"aggregate_id": f"user:{REALM}:{user_id}"}).sort("_id", 1)
        for e in c["events"]
    ]
    return [e for e in found if e["type"] == kind]


async def test_id_mail_01_id_mail_02_id_bind_01_a_first_login_goes_all_the_way_to_a_bound_browser(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    async with portal.browser() as browser:
        org, address = await portal.first_login(browser)
        assert await browser.progress() == {
            "browser_registration": "at_completion",
            "auth_email_address": "to_do",
            "login_link": "waiting",
        }
        restricted = await browser.get("/v1/sessions/current")
        assert restricted.json()["restricted"] is True, "nothing else until the steps are done"
        asked = await browser.post(f"/v1/realms/{REALM}/login/auth-email", json={"email": address})
        assert asked.status_code == 202
        [confirm] = await portal.links_to(address, 1)
        assert portal.subjects_to(address)[0].endswith("メール認証用アドレス本登録のお願い")
        page = await browser.get(f"/realms/{REALM}/auth-email/confirm", params={"token": confirm})
        assert page.status_code == 200 and 'method="post"' in page.text
        csrf = browser.client.cookies["__Host-csrf"]  # the page's form carries it
        confirmed = await browser.post(
            f"/realms/{REALM}/auth-email/confirm", data={"token": confirm, "csrf_token": csrf}
        )
        assert confirmed.status_code == 200 and "本登録が完了しました" in confirmed.text
        [_, login] = await portal.links_to(address, 2)
        address_mail, link_mail = portal.texts_to(address)
        assert "「再登録」" in address_mail and "60分" in address_mail, "seed 000 Q11"
        for words in ("閉じずに", "10分", "「再発行」", "ログイン画面の立ち上げには使用できません"):
            assert words in link_mail, f"seed 000 Q12, Q17, Q19: {words}"
        assert portal.subjects_to(address)[1].endswith("メール認証用リンク通知")
        assert (await browser.progress())["login_link"] == "mailed"
        assert (await browser.follow(login)).status_code == 200
        assert (await browser.progress())["login_link"] == "done"
        done = await browser.complete()
        assert done.status_code == 200, done.text
        assert done.cookies["__Host-session"] != browser.session, "rotated"
        assert browser.binding is not None and len(browser.binding) >= 22, "128 bits or more"
        full = await browser.get("/v1/sessions/current")
        assert (full.json()["restricted"], full.json()["pending_steps"]) == (False, [])
    [registered] = await events(mongo, portal.ns, org["admin_user_id"], "BrowserRegistered")
    assert registered["actor"]["id"] == org["admin_user_id"]


async def test_id_bind_02_another_browser_is_refused_and_not_counted(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    async with portal.browser() as registered, portal.browser() as other:
        org, _ = await portal.fully_logged_in(registered)
        for _ in range(4):
            refused = await other.log_in(org["admin_login_id"], NEW_PASSWORD)
            assert (refused.status_code, refused.json()["code"]) == (403, "BROWSER_MISMATCH")
            assert refused.json()["title"] == "登録されているブラウザ情報と異なります"
            assert "__Host-session" not in refused.cookies, "no session"
        again = await registered.log_in(org["admin_login_id"], NEW_PASSWORD)
        assert again.status_code == 200, "four refusals locked nothing (ID-LOCK-01 counts three)"
    mismatches = [
        e
        for e in await events(mongo, portal.ns, org["admin_user_id"], "LoginFailed")
        if e["reason"] == "browser_mismatch"
    ]
    assert [e["consecutive_failures"] for e in mismatches] == [0, 0, 0, 0]


async def test_id_mail_01_the_address_link_times_out_after_60_minutes_and_is_sent_again(
    portal: Portal,
) -> None:
    async with portal.browser() as browser:
        _, address = await portal.first_login(browser)
        register = f"/v1/realms/{REALM}/login/auth-email"
        assert (await browser.post(register, json={"email": address})).status_code == 202
        [late] = await portal.links_to(address, 1)
        for _ in range(3):  # the waiting screen polls meanwhile, which keeps its session alive
            portal.clock.advance(timedelta(minutes=20))
            state = (await browser.progress())["auth_email_address"]
        assert state == "expired"
        timed_out = await browser.post(
            f"/v1/realms/{REALM}/auth-email/confirm", json={"token": late}
        )
        assert (timed_out.status_code, timed_out.json()["code"]) == (
            410,
            "AUTH_EMAIL_PROVISIONAL_TIMEOUT",
        )
        assert timed_out.json()["title"] == "メール認証用アドレスの仮登録がタイムアウトしました"
        assert (await browser.post(register, json={"email": address})).status_code == 202
        [_, fresh] = await portal.links_to(address, 2)
        voided = await browser.post(f"/v1/realms/{REALM}/auth-email/confirm", json={"token": late})
        assert voided.json()["code"] == "LINK_INVALID", "registering again voids the older link"
        for _ in range(3):
            portal.clock.advance(timedelta(minutes=19, seconds=40))
            assert (await browser.progress())["auth_email_address"] == "mailed"
        ok = await browser.post(f"/v1/realms/{REALM}/auth-email/confirm", json={"token": fresh})
        assert ok.status_code == 200, "60 minutes from the new registration"


async def test_id_mail_03_the_login_link_times_out_after_10_minutes_then_is_reissued(
    portal: Portal,
) -> None:
    async with portal.browser() as registered:
        org, address = await portal.fully_logged_in(registered)
        assert (await registered.log_in(org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        [*_, stale] = await portal.links_to(address, 3)
        portal.clock.advance(timedelta(minutes=10))
        timed_out = await registered.follow(stale)
        assert (timed_out.status_code, timed_out.json()["code"]) == (410, "AUTH_LINK_TIMEOUT")
        assert timed_out.json()["title"] == "メール認証用リンクがタイムアウトしました"
        [action] = timed_out.json()["actions"]
        assert action["rel"] == "reissue"
        reissued = await registered.post(action["href"])
        assert reissued.status_code == 202, reissued.text
        [*_, fresh] = await portal.links_to(address, 4)
        assert (await registered.follow(stale)).json()["code"] == "LINK_INVALID", "voided"
        assert (await registered.follow(fresh)).status_code == 200
        assert (await registered.complete()).status_code == 200


async def test_id_mail_03_no_second_link_mail_within_10_minutes_and_the_last_login_takes_it(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    async with portal.browser() as registered:
        org, address = await portal.fully_logged_in(registered)
        mailed_before = len(await events(mongo, portal.ns, org["admin_user_id"], "EmailLinkIssued"))
        assert (await registered.log_in(org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        [*_, link] = await portal.links_to(address, 3)
        portal.clock.advance(timedelta(minutes=9))
        again = await registered.log_in(org["admin_login_id"], NEW_PASSWORD)  # the screen closed
        assert again.status_code == 200
        issued = await events(mongo, portal.ns, org["admin_user_id"], "EmailLinkIssued")
        assert len(issued) == mailed_before + 1, "no second mail within 10 minutes (Q17)"
        too_soon = await registered.post(f"/v1/realms/{REALM}/login/link")
        assert (too_soon.status_code, too_soon.json()["code"]) == (429, "LINK_RESEND_TOO_SOON")
        assert (await registered.follow(link)).status_code == 200, "the new login takes it"
        assert (await registered.complete()).status_code == 200
        portal.clock.advance(timedelta(minutes=10))
        assert (await registered.log_in(org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        await portal.links_to(address, 4)


async def test_id_mail_02_a_link_opened_with_no_pending_login_logs_nothing_in(
    portal: Portal,
) -> None:
    async with portal.browser() as waiting, portal.browser() as elsewhere:
        org, address = await portal.fully_logged_in(waiting)
        assert (await waiting.log_in(org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        [*_, link] = await portal.links_to(address, 3)
        for _ in range(3):  # a mail scanner prefetching the page
            page = await elsewhere.get(f"/realms/{REALM}/login-link", params={"token": link})
            assert page.status_code == 200
        forwarded = await elsewhere.post(f"/v1/realms/{REALM}/login-link", json={"token": link})
        assert (forwarded.status_code, forwarded.json()["code"]) == (404, "LINK_INVALID")
        assert "__Host-session" not in forwarded.cookies, "logs nothing in (Q19)"
        csrf = elsewhere.client.cookies["__Host-csrf"]
        form = await elsewhere.post(
            f"/realms/{REALM}/login-link", data={"token": link, "csrf_token": csrf}
        )
        assert form.status_code == 404 and "ログインボタンを押したブラウザ" in form.text
        assert (await waiting.follow(link)).status_code == 200, "nothing was used up"
        assert (await waiting.complete()).status_code == 200


async def test_x_11_twenty_parallel_posts_of_one_link_complete_the_login_once(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    async with portal.browser() as browser:
        org, address = await portal.fully_logged_in(browser)
        assert (await browser.log_in(org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        [*_, link] = await portal.links_to(address, 3)
        follows = await asyncio.gather(
            *(
                browser.post(f"/v1/realms/{REALM}/login-link", json={"token": link})
                for _ in range(20)
            )
        )
        assert sorted(r.status_code for r in follows) == [200] + [404] * 19
        completes = await asyncio.gather(*(browser.complete() for _ in range(20)))
        assert [r.status_code for r in completes].count(200) == 1
    used = [
        e
        for e in await events(mongo, portal.ns, org["admin_user_id"], "EmailLinkConsumed")
        if e["purpose"] == "login"
    ]
    started = await events(mongo, portal.ns, org["admin_user_id"], "SessionStarted")
    assert len(used) == 2, "the first login's link and this one, each once"
    assert [s["restricted"] for s in started].count(False) == 2, "one full session each"


async def test_id_mail_02_a_link_from_one_users_mail_never_completes_anothers_login(
    portal: Portal,
) -> None:
    async with portal.browser() as alice, portal.browser() as bob:
        alice_org, alice_address = await portal.fully_logged_in(alice)
        bob_org, _ = await portal.fully_logged_in(bob)
        assert (await alice.log_in(alice_org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        assert (await bob.log_in(bob_org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        [*_, alices] = await portal.links_to(alice_address, 3)
        stolen = await bob.post(f"/v1/realms/{REALM}/login-link", json={"token": alices})
        assert stolen.json()["code"] == "LINK_INVALID"
        assert (await bob.complete()).json()["code"] == "PASSWORD_CHANGE_REQUIRED", "still waiting"
        assert (await alice.follow(alices)).status_code == 200


async def test_id_bind_03_id_mail_04_support_resets_an_admins_browser_and_address(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    async with portal.browser() as desk, portal.browser() as old_pc, portal.browser() as new_pc:
        await portal.support_desk(desk)
        org, _ = await portal.fully_logged_in(old_pc)
        users = f"/v1/realms/{REALM}/orgs/{org['org_id']}/users/{org['admin_user_id']}"
        for what in ("browser", "auth-email"):
            by_admin = await old_pc.post(f"{users}/{what}/reset")
            assert by_admin.json()["code"] == "FORBIDDEN", "an admin's are support's to reset"
        for what in ("browser", "auth-email"):
            reset = await desk.post(f"{users}/{what}/reset", json={"note": "PC入替"})
            assert reset.status_code == 204, reset.text
            # a factor of its login was reset: the admin's sessions end (ID-SESS-03)
            assert (await old_pc.get("/v1/sessions/current")).status_code == 401
        again = await new_pc.log_in(org["admin_login_id"], NEW_PASSWORD)
        assert again.status_code == 200, "the new PC may log in"
        assert await new_pc.progress() == {
            "browser_registration": "at_completion",
            "auth_email_address": "to_do",
            "login_link": "waiting",
        }
    [reset_event] = await events(mongo, portal.ns, org["admin_user_id"], "BrowserBindingReset")
    assert (reset_event["actor"]["kind"], reset_event["note"]) == ("support", "PC入替")


async def test_id_mail_04_id_bind_03_the_admin_resets_a_business_users_address_and_browser(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """Seed 000 Q15 and Q16: the admin initialises a business user's address (and browser),
    and the user's next login, from a new PC, registers both anew."""
    async with (
        portal.browser() as desk,
        portal.browser() as admin,
        portal.browser() as old_pc,
        portal.browser() as new_pc,
    ):
        await portal.support_desk(desk)
        org, admin_address = await portal.fully_logged_in(admin)
        login_id = f"XA5{uuid.uuid4().hex[:8]}"
        asked = await admin.post(
            f"/v1/realms/{REALM}/orgs/{org['org_id']}/users", json={"login_id": login_id}
        )
        assert asked.status_code == 202, "a request (ID-USER-10)"
        user_id = asked.json()["user_id"]
        approve = f"/v1/realms/{REALM}/orgs/{org['org_id']}/id-requests/{user_id}/approve"
        admin_contact = f"/v1/realms/{REALM}/orgs/{org['org_id']}/users/{org['admin_user_id']}"
        contact = {"email": new_address("contact"), "phone": "03-1234-5678"}
        assert (await desk.put(f"{admin_contact}/profile", json=contact)).status_code == 204
        assert (await desk.post(approve)).status_code == 201
        # a new address of the admin ended its sessions (ID-SESS-03): it logs in again
        assert (await admin.get("/v1/sessions/current")).status_code == 401
        assert (await admin.log_in(org["admin_login_id"], NEW_PASSWORD)).status_code == 200
        assert (await admin.follow((await portal.links_to(admin_address, 3))[-1])).is_success
        assert (await admin.complete()).status_code == 200
        [notice] = await events(mongo, portal.ns, user_id, "InitialPasswordIssued")
        initial = open_sealed(SealedSecret.from_wire(notice["sealed_password"]), PRIVATE_KEY)
        await portal.changed_initial_password(old_pc, login_id, initial)
        address = new_address("business")
        await portal.last_steps(old_pc, address)
        assert (await new_pc.log_in(login_id, NEW_PASSWORD)).json()["code"] == "BROWSER_MISMATCH"
        business = f"/v1/realms/{REALM}/orgs/{org['org_id']}/users/{user_id}"
        for what in ("auth-email", "browser"):
            assert (await admin.post(f"{business}/{what}/reset")).status_code == 204
        assert (await new_pc.log_in(login_id, NEW_PASSWORD)).status_code == 200
        assert (await new_pc.progress())["auth_email_address"] == "to_do", "registered anew"
        await portal.last_steps(new_pc, address, links_before=2)
        assert (await old_pc.log_in(login_id, NEW_PASSWORD)).json()["code"] == "BROWSER_MISMATCH"
    [reset] = await events(mongo, portal.ns, user_id, "AuthEmailReset")
    assert (reset["actor"]["kind"], reset["actor"]["id"]) == ("admin", org["admin_user_id"])


async def test_web_05_id_sess_01_a_session_that_timed_out_is_told_on_the_login_page(
    portal: Portal,
) -> None:
    """Seed 000 Q13: a browser whose session ended (idle past the realm's timeout, by the moved
    clock) is sent from a page to the login, which says 「セッション情報の取得に失敗しました」
    once and forgets the dead cookie; a browser that never logged in is not told so."""
    async with portal.browser() as admin, portal.browser() as stranger:
        org = await portal.open_org(admin)
        assert (await admin.log_in(org["admin_login_id"], org["initial_password"])).is_success
        home = f"/realms/{REALM}/home"
        fresh = await stranger.get(f"/realms/{REALM}/login")
        assert fresh.status_code == 200 and "セッション情報の取得に失敗しました" not in fresh.text
        alive = await admin.get(f"/realms/{REALM}/login")
        assert "セッション情報の取得に失敗しました" not in alive.text, "a live session is not told"
        portal.clock.advance(PRESETS[REALM].idle_timeout + timedelta(seconds=1))
        sent = await admin.get(home)
        assert (sent.status_code, sent.headers["location"]) == (303, f"/realms/{REALM}/login")
        told = await admin.get(sent.headers["location"])
        assert told.status_code == 200 and 'id="session-ended"' in told.text
        assert "セッション情報の取得に失敗しました" in told.text
        assert admin.client.cookies.get("__Host-session") is None, "the dead cookie is forgotten"
        again = await admin.get(f"/realms/{REALM}/login")
        assert "セッション情報の取得に失敗しました" not in again.text, "said once"


async def test_id_perm_04_the_decision_api_keeps_the_admin_id_from_the_business_data(
    portal: Portal, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """Seed 000 Q3 through the decision API, with real sessions at the end of dantai-net's
    login: the admin ID (XA3) manages IDs and is refused the organisation's business data; a
    business ID (XA5) of the same organisation receives it; both see the schedule."""
    async with portal.browser() as desk, portal.browser() as admin, portal.browser() as clerk:
        await portal.support_desk(desk)
        org = await portal.open_org(admin)
        admin_contact = f"/v1/realms/{REALM}/orgs/{org['org_id']}/users/{org['admin_user_id']}"
        contact = {"email": new_address("contact"), "phone": "03-1234-5678"}
        assert (await desk.put(f"{admin_contact}/profile", json=contact)).status_code == 204
        await portal.changed_initial_password(admin, org["admin_login_id"], org["initial_password"])
        await portal.last_steps(admin, new_address("auth"))
        asked = await admin.post(
            f"/v1/realms/{REALM}/orgs/{org['org_id']}/users",
            json={"login_id": f"XA5{uuid.uuid4().hex[:8]}"},
        )
        assert asked.status_code == 202, asked.text
        user_id, login_id = asked.json()["user_id"], asked.json()["login_id"]
        approve = f"/v1/realms/{REALM}/orgs/{org['org_id']}/id-requests/{user_id}/approve"
        assert (await desk.post(approve)).status_code == 201
        [notice] = await events(mongo, portal.ns, user_id, "InitialPasswordIssued")
        initial = open_sealed(SealedSecret.from_wire(notice["sealed_password"]), PRIVATE_KEY)
        await portal.changed_initial_password(clerk, login_id, initial)
        await portal.last_steps(clerk, new_address("clerk"))

        async def decide(who: Any, action: str) -> dict[str, Any]:
            asked = {"action": action, "resource": {"org_id": org["org_id"]}, "protected": False}
            answer = await who.post("/v1/authz/decisions", json=asked)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        for action in ("billing_data.receive", "billing_data.return", "year_end_data.receive"):
            refused = await decide(admin, action)
            assert (refused["allow"], refused["reason"], refused["rule"]) == (
                False,
                "ROLE_NOT_PERMITTED",
                "ID-PERM-04",
            )
            assert refused["message"], "the person is told in Japanese"
            allowed = await decide(clerk, action)
            assert (allowed["allow"], allowed["rule"]) == (True, "ID-PERM-04")
        for both in (admin, clerk):
            assert (await decide(both, "schedule.read"))["allow"]
        assert (await decide(clerk, "business_users.create"))["reason"] == "ADMIN_ONLY"


async def test_x_02_no_link_token_session_or_binding_cookie_is_stored_published_or_logged(
    identity: tuple[ServiceProcess, Namespace],
    mongo: AsyncMongoClient[dict[str, Any]],
    infra: Infra,
) -> None:
    proc, ns = identity
    org = new_org(proc.url, REALM, f"XA3{uuid.uuid4().hex[:8]}")
    restricted = signed_in(proc.url, REALM, org["admin_login_id"], org["initial_password"])
    full, binding = await through_email_authentication(
        proc, mongo, REALM, org["admin_user_id"], restricted
    )
    links = [
        opened(e, "sealed_link").split("token=", 1)[1]
        for e in await user_events(mongo, ns, REALM, org["admin_user_id"], "EmailLinkIssued")
    ]
    assert len(links) == 2, "the address's link and the login link"
    secrets = [*links, restricted, full, binding, org["initial_password"], NEW_PASSWORD]
    written = await everything_identity_wrote(mongo, ns, infra, proc)
    for secret in secrets:
        assert not any(secret in text for text in written), "a secret in clear"

"""kencom's self sign-up (seed 003, EN-01…05, EN-08) from the first form to a member who logs
in: enroll with a moved clock, identity and notify as processes, real Kafka, database and
Mailpit; every link is read from the real mail."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from harness import Namespace, eventually
from kencom_signup import (
    LINK,
    PASSWORD,
    TICKED,
    Kencom,
    Person,
    kencom,
    new_email,
    platform,
)
from kencom_signup import new_insurer as insurer
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration
__all__ = ["kencom", "platform"]  # the module's fixtures


async def enroll_events(
    mongo: AsyncMongoClient[dict[str, Any]], ns: Namespace, signup_id: str
) -> list[dict[str, Any]]:
    commits = mongo[ns.database("enroll")]["commits"]
    return [
        json.loads(e["json"])
        async for c in commits.find({"aggregate_id": f"signup:{signup_id}"}).sort("_id", 1)
        for e in c["events"]
    ]


async def test_en_01_en_02_en_05_a_pc_sign_up_ends_with_member_registered_and_a_login(
    kencom: Kencom, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    person = Person(insurer())
    assert (await kencom.roster(person.insurer_number, [person])).status_code == 200
    started = await kencom.sign_up(person.email, "pc")
    assert started.status_code == 202, started.text
    assert started.json()["valid_hours"] == 1 and "1時間以内" in started.json()["message"]
    [token] = await kencom.links(person.email, 1)
    [subject] = kencom.subjects_to(person.email)
    assert subject == "【kencom】仮登録ありがとうございます（※まだ本登録は完了していません）"
    [text] = kencom.texts_to(person.email)
    assert "有効期間は1時間" in text and "保険証が必要" in text

    page = await kencom.client.get("/realms/kencom/activate", params={"token": token})
    assert page.status_code == 200 and 'method="post"' in page.text, "a GET consumes nothing"
    opened = await kencom.activate(token)
    assert opened.status_code == 200, opened.text
    step = opened.json()["signup_token"]
    assert kencom.log_in(person.email).status_code == 401, "no login before eligibility"

    checked = await kencom.check(step, person.card(symbol="71-1234", number="12345678"))
    assert checked.status_code == 200, checked.text
    assert checked.json()["code"] == "ELIGIBLE"
    done = await kencom.registered(step)
    assert done["login_id"] == person.email

    events = await enroll_events(mongo, kencom.ns, done["user_id"])
    assert [e["type"] for e in events] == [
        "SignupStarted",
        "SignupActivated",
        "EligibilityChecked",
        "MemberRegistered",
    ]
    assert events[-1]["user_id"] == done["user_id"] and events[-1]["email"] == person.email
    logged_in = kencom.log_in(person.email)
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["user_id"] == done["user_id"]
    assert logged_in.json()["password_change_required"] is False, "the password chosen at sign-up"
    assert kencom.log_in(person.email.upper()).status_code == 401, "the ID is case-sensitive"


async def test_en_02_an_app_sign_up_link_lasts_24_hours(kencom: Kencom) -> None:
    person = Person(insurer())
    started = await kencom.sign_up(person.email, "app")
    assert started.json()["valid_hours"] == 24
    [token] = await kencom.links(person.email, 1)
    assert kencom.subjects_to(person.email) == ["【kencom】「本登録」手続きのお願い"]
    assert "24時間以内に「本登録」" in kencom.texts_to(person.email)[0]
    kencom.clock.advance(timedelta(hours=23, minutes=59))
    assert (await kencom.activate(token)).status_code == 200


async def test_en_02_the_apps_sign_up_page_mails_the_apps_words_and_a_24_hour_link(
    kencom: Kencom,
) -> None:
    """The app's 新規登録 opens the sign-up page as ``?channel=app``: the form carries it, the
    mail-sent page and the mail speak of the app's 本登録 within 24 hours, and the link works
    until then by the moved clock, then says to start again; a resend keeps the channel."""
    person = Person(insurer())
    form = await kencom.client.get("/realms/kencom/signup", params={"channel": "app"})
    assert 'name="channel" value="app"' in form.text and "24時間" in form.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    typed = {"email": person.email, "email_confirmation": person.email, "password": PASSWORD}
    shown = await kencom.client.post(
        "/realms/kencom/signup", data=typed | {"channel": "app", "csrf_token": csrf[1]}
    )
    assert shown.status_code == 200 and "入力内容の確認" in shown.text, shown.text[:500]
    assert person.email in shown.text and PASSWORD not in shown.text, "the password never shown"
    assert "24時間" in shown.text and kencom.subjects_to(person.email) == [], "nothing sent yet"
    draft = re.search(r'name="draft" value="([^"]+)"', shown.text)
    assert draft is not None and PASSWORD not in draft[1], "sealed"
    back = await kencom.client.post(
        "/realms/kencom/signup/back", data={"draft": draft[1], "csrf_token": csrf[1]} | TICKED
    )
    assert f'value="{person.email}"' in back.text and 'name="channel" value="app"' in back.text
    assert PASSWORD not in back.text, "戻る keeps the address, never the password"
    sent = await kencom.client.post(
        "/realms/kencom/signup/send", data={"draft": draft[1], "csrf_token": csrf[1]} | TICKED
    )
    assert sent.status_code == 202 and "24時間以内" in sent.text, sent.text[:500]
    ref = re.search(r'name="signup_ref" value="([^"]+)"', sent.text)
    assert ref is not None
    again = await kencom.client.post(
        "/realms/kencom/signup/resend", data={"signup_ref": ref[1], "csrf_token": csrf[1]}
    )
    assert again.status_code == 202 and "24時間以内" in again.text
    await kencom.links(person.email, 2)
    assert kencom.subjects_to(person.email) == ["【kencom】「本登録」手続きのお願い"] * 2
    # the resend's mail is told by its own words, not by the order Mailpit received them in
    texts = kencom.texts_to(person.email)
    assert all("24時間以内に「本登録」" in text for text in texts)
    by_resend = {"以前にお送りしたメール" in text: LINK.findall(text)[0] for text in texts}
    first, second = by_resend[False], by_resend[True]
    kencom.clock.advance(timedelta(hours=24, seconds=1))
    late = await kencom.activate(second)
    assert (late.status_code, late.json()["code"]) == (410, "SIGNUP_EXPIRED")
    assert (await kencom.activate(first)).json()["code"] == "LINK_INVALID", "voided by the resend"

    pc = Person(insurer())
    typed = {"email": pc.email, "email_confirmation": pc.email, "password": PASSWORD}
    for junk in ("APP", "tablet", "ｘ" * 20):
        refused = await kencom.client.post(
            "/realms/kencom/signup", data=typed | {"channel": junk, "csrf_token": csrf[1]}
        )
        assert refused.status_code in (200, 422), "never a 500"
    assert "1時間" in refused.text or refused.status_code == 422


async def test_web_05_en_01_the_confirmation_sends_only_a_fresh_untouched_draft(
    kencom: Kencom,
) -> None:
    """入力内容の確認 on a PC: nothing is sent before 仮登録メールを送信する; a draft that was
    changed, or is over 30 minutes old by the moved clock, sends nothing and gives the form
    back (the old draft's address kept); a fresh one sends."""
    person = Person(insurer())
    form = await kencom.client.get("/realms/kencom/signup")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None and "確認画面へ" in form.text
    typed = {"email": person.email, "email_confirmation": person.email, "password": PASSWORD}
    shown = await kencom.client.post("/realms/kencom/signup", data=typed | {"csrf_token": csrf[1]})
    assert "1時間" in shown.text and "仮登録メールを送信する" in shown.text
    draft = re.search(r'name="draft" value="([^"]+)"', shown.text)
    assert draft is not None
    flipped = draft[1][:-2] + ("A" if draft[1][-2] != "A" else "B") + draft[1][-1]
    for junk in (flipped, "", "x" * 2000, "ｘ" * 40):
        refused = await kencom.client.post(
            "/realms/kencom/signup/send", data={"draft": junk, "csrf_token": csrf[1]} | TICKED
        )
        assert refused.status_code == 422 and "有効期限" in refused.text, refused.text[:300]
    kencom.clock.advance(timedelta(minutes=30, seconds=1))
    late = await kencom.client.post(
        "/realms/kencom/signup/send", data={"draft": draft[1], "csrf_token": csrf[1]} | TICKED
    )
    assert late.status_code == 422 and f'value="{person.email}"' in late.text
    assert kencom.subjects_to(person.email) == [], "nothing sent"
    again = await kencom.client.post("/realms/kencom/signup", data=typed | {"csrf_token": csrf[1]})
    fresh = re.search(r'name="draft" value="([^"]+)"', again.text)
    assert fresh is not None
    sent = await kencom.client.post(
        "/realms/kencom/signup/send", data={"draft": fresh[1], "csrf_token": csrf[1]} | TICKED
    )
    assert sent.status_code == 202 and "1時間以内" in sent.text
    await kencom.links(person.email, 1)


async def test_en_02_an_expired_link_says_to_start_again(kencom: Kencom) -> None:
    pc, app = Person(insurer()), Person(insurer())
    await kencom.sign_up(pc.email, "pc")
    await kencom.sign_up(app.email, "app")
    [pc_link] = await kencom.links(pc.email, 1)
    [app_link] = await kencom.links(app.email, 1)
    kencom.clock.advance(timedelta(hours=1, seconds=1))
    late = await kencom.activate(pc_link)
    assert (late.status_code, late.json()["code"]) == (410, "SIGNUP_EXPIRED")
    assert "やり直してください" in late.json()["title"]
    kencom.clock.advance(timedelta(hours=23))
    assert (await kencom.activate(app_link)).json()["code"] == "SIGNUP_EXPIRED"


async def test_en_02_a_resend_voids_every_earlier_link(kencom: Kencom) -> None:
    person = Person(insurer())
    ref = (await kencom.sign_up(person.email, "pc")).json()["signup_ref"]
    for _ in range(2):
        again = await kencom.client.post(
            "/v1/realms/kencom/signups/resend", json={"signup_ref": ref}
        )
        assert again.status_code == 202, again.text
    await kencom.links(person.email, 3)
    # which mail Mailpit received first is not the order they were sent in when two arrive
    # within its clock's resolution: each mail is told apart by its own words instead
    mailed = {LINK.findall(text)[0]: text for text in kencom.texts_to(person.email)}
    voided_note = "以前にお送りしたメールに記載されているリンクは無効"
    assert sorted(voided_note in text for text in mailed.values()) == [False, True, True]
    answers = {token: await kencom.activate(token) for token in mailed}
    worked = [token for token, answer in answers.items() if answer.status_code == 200]
    assert len(worked) == 1, "only the last link works: every resend voided the earlier ones"
    assert voided_note in mailed[worked[0]], "the link that works is a resend's"
    for token, refused in answers.items():
        if token not in worked:
            assert (refused.status_code, refused.json()["code"]) == (404, "LINK_INVALID")
    used = await kencom.activate(worked[0])
    assert used.json()["code"] == "LINK_INVALID", "a link works once"


async def test_en_01_the_answer_never_says_whether_the_address_is_registered(
    kencom: Kencom,
) -> None:
    member = Person(insurer())
    await kencom.roster(member.insurer_number, [member])
    await kencom.enrolled(member)
    stranger = new_email("new")
    fresh = await kencom.sign_up(stranger, "pc")
    for address in (member.email, member.email.upper()):
        taken = await kencom.sign_up(address, "pc")
        assert taken.status_code == fresh.status_code == 202
        assert set(taken.json()) == set(fresh.json())
        assert {k: v for k, v in taken.json().items() if k != "signup_ref"} == {
            k: v for k, v in fresh.json().items() if k != "signup_ref"
        }

    async def told() -> list[str] | None:
        subjects = kencom.subjects_to(member.email)
        return subjects if len(subjects) >= 3 else None

    subjects = await eventually(told, timeout=60)
    assert subjects[-1] == "【kencom】このメールアドレスは登録済みです", "the mail tells"
    assert kencom.log_in(member.email).status_code == 200, "the member's password unchanged"


async def test_en_01_the_address_twice_and_the_kencom_password_policy(kencom: Kencom) -> None:
    email = new_email()
    mismatch = await kencom.client.post(
        "/v1/realms/kencom/signups",
        json={"email": email, "email_confirmation": email.upper(), "password": PASSWORD},
    )
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "VALIDATION_ERROR")
    for weak in ("Ab1", "abcdefgh", "Pass123word", "Kenko-Pass9-too-long-for-kencom", email):
        refused = await kencom.sign_up(email, password=weak)
        assert refused.json()["code"] == "PASSWORD_POLICY", weak
    full_width = await kencom.sign_up(email, password="Ｋｅｎｋｏ-Pass9")
    assert full_width.json()["code"] == "HALF_WIDTH_REQUIRED"
    assert (await kencom.sign_up(email, password="kenko9")).status_code == 202


async def test_en_02_en_03_the_mailed_link_works_in_a_browser_without_javascript(
    kencom: Kencom,
) -> None:
    """The link's page, its form, the card's form and the answer, as HTML pages."""
    person = Person(insurer())
    await kencom.roster(person.insurer_number, [person])
    await kencom.sign_up(person.email, "pc")
    [token] = await kencom.links(person.email, 1)
    page = await kencom.client.get("/realms/kencom/activate", params={"token": token})
    assert page.headers["cache-control"] == "no-store" and "本登録に進む" in page.text
    form = {"token": token, "csrf_token": kencom.client.cookies["__Host-csrf"]}
    opened = await kencom.client.post("/realms/kencom/activate", data=form)
    assert opened.status_code == 200 and "利用資格を照会する" in opened.text
    step = opened.text.split('name="signup_token" value="')[1].split('"')[0]
    wrong = await kencom.client.post(
        "/realms/kencom/eligibility", data={"signup_token": step} | person.card(number="1")
    )
    assert wrong.status_code == 422 and "入力内容に誤り" in wrong.text, "the seed's guidance"
    right = await kencom.client.post(
        "/realms/kencom/eligibility", data={"signup_token": step} | person.card()
    )
    assert right.status_code == 200 and "利用資格が確認できました" in right.text
    again = await kencom.client.post("/realms/kencom/activate", data=form)
    assert again.status_code == 404, "the link works once"
    assert (await kencom.registered(step))["status"] == "registered"

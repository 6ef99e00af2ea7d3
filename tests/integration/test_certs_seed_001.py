"""Seed 001 step by step (企保ネット クライアント証明書): issue with the notice's fields, 3420 for
each mismatch, the December rule, the subject, the renewal window, reissue, and the reminders
read from Mailpit, through real Kafka, database and notify, with certs' clock moved, never slept.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from certs_portal import CertPortal, Holder, cert_portal, new_key, new_user_id
from cryptography import x509
from harness import Infra, Namespace, eventually, read_topic
from mail_events import PRIVATE_KEY

from servicekit.clock import ManualClock, SystemClock

pytestmark = pytest.mark.integration

FIELDS_TYPED_WRONG = {
    "kihonet_code": "87654321",
    "management_number": "ZZ99999999",
    "user_id": "Z999999",
    "year": "2001",
    "branch_number": "002",
}


@pytest.fixture
async def portal(infra: Infra, ns: Namespace, services: Any) -> AsyncIterator[CertPortal]:
    services("notify", notify_private_key=PRIVATE_KEY)
    async with cert_portal(infra, ns) as found:
        yield found


async def certs_events(infra: Infra, ns: Namespace, count: int) -> list[dict[str, Any]]:
    records = await read_topic(
        infra.kafka_bootstrap_servers, ns.topic_prefix + "certs.events", count, timeout=30
    )
    return [json.loads(r.value) for r in records]


def mail_texts(portal: CertPortal, address: str) -> list[tuple[str, str]]:
    """(subject, plain text) of each mail to ``address``, oldest first."""
    found = []
    for message in portal.mail.mails_to(address):
        body = message.get_body(("plain",))
        found.append((str(message["Subject"]), "" if body is None else str(body.get_content())))
    return found


async def test_ct_01_ct_03_ct_04_a_csr_with_the_notices_fields_is_issued_for_three_years(
    portal: CertPortal,
) -> None:
    holder = Holder(new_user_id())
    notice = await portal.notice(holder)
    assert notice["branch_number"] == "001"
    key, issued = await portal.issued(holder)
    cert = x509.load_pem_x509_certificate(issued["certificate"].encode())
    assert cert.public_key() == key.public_key(), "the key stayed with the user (CT-01)"
    common_name = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert holder.user_id in common_name and holder.management_number in common_name  # CT-03
    assert holder.user_id in issued["subject"] and holder.management_number in issued["subject"]
    life = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=3 * 365) <= life <= timedelta(days=3 * 366)  # CT-04
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == [holder.email]
    assert await portal.status(issued["certificate"]) == "valid"

    def issued_mail() -> list[tuple[str, str]]:
        return mail_texts(portal, holder.email)

    [(subject, text)] = await eventually(issued_mail, timeout=60)
    assert "クライアント証明書発行のお知らせ" in subject
    assert holder.user_id in text and issued["serial_number"] in text


async def test_ct_02_each_mismatched_field_answers_3420_and_is_announced(
    portal: CertPortal, infra: Infra, ns: Namespace
) -> None:
    holder = Holder(new_user_id())
    await portal.notice(holder)
    for field, wrong in FIELDS_TYPED_WRONG.items():
        answer = await portal.issue(holder, new_key(), **{field: wrong})
        assert answer.status_code == 422, (field, answer.text)
        problem = answer.json()
        assert problem["code"] == "INPUT_INFO_ERROR" and problem["status_code"] == 3420, field
        assert problem["title"] == "入力情報エラー"
        assert "翌年" in problem["detail"], "the message suggests the next year"
    assert (await portal.issue(holder, new_key())).status_code == 201, "the right fields pass"
    events = await certs_events(infra, ns, len(FIELDS_TYPED_WRONG) + 1)
    rejected = [e for e in events if e["type"] == "CertIssueRejected"]
    assert len(rejected) == len(FIELDS_TYPED_WRONG)
    assert {e["status_code"] for e in rejected} == {3420}
    wrong_year = [e for e in rejected if "year" in e["mismatched_fields"]]
    assert wrong_year and wrong_year[0]["suggest_next_year"] is True


async def test_ct_02_a_notice_of_decembers_last_business_day_carries_the_next_year(
    portal: CertPortal,
) -> None:
    # 2026-12-30 is a Wednesday: the last business day before the 12/31-1/3 closure.
    last = Holder(new_user_id())
    assert (await portal.notice(last, issued_on=date(2026, 12, 30)))["year"] == 2027
    typed_issue_year = await portal.issue(last, new_key(), year="2026")
    assert typed_issue_year.json()["status_code"] == 3420
    assert "翌年" in typed_issue_year.json()["detail"]
    assert (await portal.issue(last, new_key(), year="2027")).status_code == 201
    # The day before, and 2028's last business day (12/30 is a Saturday: Friday 12/29).
    before = Holder(new_user_id())
    assert (await portal.notice(before, issued_on=date(2026, 12, 29)))["year"] == 2026
    friday = Holder(new_user_id())
    assert (await portal.notice(friday, issued_on=date(2028, 12, 29)))["year"] == 2029


async def test_ct_05_renewal_refused_at_31_days_accepted_at_30_refused_after_expiry(
    portal: CertPortal,
) -> None:
    holder = Holder(new_user_id())
    key, issued = await portal.issued(holder)
    later = Holder(new_user_id())
    later_key, later_issued = await portal.issued(later)
    not_after = datetime.fromisoformat(issued["not_after"])

    portal.clock.set(not_after - timedelta(days=31))
    early = await portal.renew(key, issued["certificate"], new_key())
    assert early.status_code == 409 and early.json()["code"] == "RENEWAL_NOT_OPEN", early.text

    stranger = await portal.renew(new_key(), issued["certificate"], new_key())
    assert stranger.status_code == 403, "possession of the current key is proven (CT-05)"

    portal.clock.set(not_after - timedelta(days=30))
    new = new_key("rsa")
    renewed = await portal.renew(key, issued["certificate"], new)
    assert renewed.status_code == 201, renewed.text
    cert = x509.load_pem_x509_certificate(renewed.json()["certificate"].encode())
    assert cert.public_key() == new.public_key()
    assert holder.management_number in renewed.json()["subject"]
    again = await portal.renew(key, issued["certificate"], new_key())
    assert again.json()["code"] == "CERT_ALREADY_RENEWED"

    portal.clock.set(datetime.fromisoformat(later_issued["not_after"]) + timedelta(seconds=1))
    expired = await portal.renew(later_key, later_issued["certificate"], new_key())
    assert expired.status_code == 410 and expired.json()["code"] == "CERT_EXPIRED", expired.text
    assert await portal.status(later_issued["certificate"]) == "expired"


async def test_ct_06_ct_08_a_reissue_notice_revokes_the_older_certificate(
    portal: CertPortal, infra: Infra, ns: Namespace
) -> None:
    holder = Holder(new_user_id())
    _, first = await portal.issued(holder)
    reissue = await portal.notice(holder, reason="pc_change")
    assert reissue["branch_number"] == "002" and reissue["year"] == holder.year
    _, second = await portal.issued(holder)
    assert await portal.status(first["certificate"]) == "revoked"
    assert await portal.status(second["certificate"]) == "valid"
    used = await portal.issue(holder, new_key())
    assert used.json()["code"] == "NOTICE_ALREADY_USED", "a notice issues one certificate"

    events = await certs_events(infra, ns, 3)
    types = [e["type"] for e in events]
    assert types == ["CertIssued", "CertReissued", "CertRevoked"], types
    assert events[1]["supersedes"] == [first["serial_number"]]
    assert events[2]["serial_number"] == first["serial_number"]

    async def on_the_crl() -> bool:
        crl = x509.load_der_x509_crl((await portal.client.get("/v1/ca/crl")).content)
        return (
            crl.get_revoked_certificate_by_serial_number(int(first["serial_number"], 16))
            is not None
        )

    await eventually(on_the_crl, timeout=30)


async def test_ct_07_one_mail_at_30_days_and_one_at_7_saying_when_renewal_is_done(
    infra: Infra, ns: Namespace, services: Any
) -> None:
    services("notify", notify_private_key=PRIVATE_KEY)
    clock = ManualClock(SystemClock().now())
    async with cert_portal(infra, ns, clock) as portal:
        renewing, waiting = Holder(new_user_id()), Holder(new_user_id())
        key, renewed_cert = await portal.issued(renewing)
        _, waiting_cert = await portal.issued(waiting)
        not_after = datetime.fromisoformat(renewed_cert["not_after"])

        clock.set(not_after - timedelta(days=30))
        # Two replicas at once, as X-16 runs them: each reminder is still decided once.
        async with cert_portal(infra, ns, clock) as replica:
            await asyncio.gather(
                portal.app.state.certs.reminders.run_once(),
                replica.app.state.certs.reminders.run_once(),
            )
        clock.set(not_after - timedelta(days=20))
        assert (await portal.renew(key, renewed_cert["certificate"], new_key())).status_code == 201
        clock.set(not_after - timedelta(days=7))
        assert await portal.app.state.certs.reminders.run_once() == 2
        clock.advance(timedelta(days=1))
        assert await portal.app.state.certs.reminders.run_once() == 0

    clock.advance(timedelta(days=2))
    async with cert_portal(infra, ns, clock) as restarted:  # the job after a restart
        assert await restarted.app.state.certs.reminders.run_once() == 0

    def reminders_to(holder: Holder) -> list[tuple[str, str]] | None:
        found = [m for m in mail_texts(portal, holder.email) if "更新のご案内" in m[0]]
        return found if len(found) >= 2 else None

    renewing_mails = await eventually(lambda: reminders_to(renewing), timeout=60)
    waiting_mails = await eventually(lambda: reminders_to(waiting), timeout=60)
    await asyncio.sleep(2)  # any extra mail would have arrived by now: there must be none
    assert len(reminders_to(renewing) or []) == 2 and len(reminders_to(waiting) or []) == 2
    assert ["30日前" in s for s, _ in renewing_mails] == [True, False]
    assert ["7日前" in s for s, _ in renewing_mails] == [False, True]
    assert "すでに完了" in renewing_mails[1][1], "the 7-day mail says the renewal is done"
    assert "すでに完了" not in waiting_mails[1][1] and "更新のお手続き" in waiting_mails[1][1]
    del waiting_cert


async def test_ct_07_a_job_that_was_down_sends_only_the_7_day_reminder(
    portal: CertPortal,
) -> None:
    holder = Holder(new_user_id())
    _, issued = await portal.issued(holder)
    portal.clock.set(datetime.fromisoformat(issued["not_after"]) - timedelta(days=6))
    assert await portal.app.state.certs.reminders.run_once() == 1
    assert await portal.app.state.certs.reminders.run_once() == 0
    portal.clock.set(datetime.fromisoformat(issued["not_after"]) + timedelta(hours=1))
    assert await portal.app.state.certs.reminders.run_once() == 1, "CertExpired, once"
    assert await portal.app.state.certs.reminders.run_once() == 0


async def test_x_17_the_reminder_and_crl_jobs_run_supervised(portal: CertPortal) -> None:
    async def ready() -> httpx.Response | None:
        answer = await portal.client.get("/readyz")
        return answer if answer.status_code == 200 else None

    # Ready once the relay's first pass (its lease claimed, X-16) has reached Kafka and the
    # database; until then /readyz answers 503 with the relay's check false, as it should.
    answer = await eventually(ready, timeout=15)
    checks = answer.json()["checks"]
    assert checks["task:reminders"] and checks["task:crl-publication"]
    assert checks["task:outbox-relay"]

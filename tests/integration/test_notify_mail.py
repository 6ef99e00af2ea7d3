"""Notify end to end: an event on Kafka becomes one real mail in Mailpit (NT-01, NT-02, NT-05).

Each mail type of NT-01 is published as its producer would publish it, with its secrets sealed;
the mail must arrive with the right recipient, subject, wording and link, and its secret must be
nowhere but in the mail: not in notify's log, its delivery log or its ``MailSent``.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import pyzipper
from harness import Infra, Namespace, ServiceProcess, eventually, running_service
from identity_client import bearer, support_session
from mail_catchers import Mailpit, announcements, new_address, publish, read_all
from mail_events import MAIL_TYPES, PRIVATE_KEY, Case, password_notice
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration

AES_EXTRA_FIELD = 0x9901
AES_256 = 3
WINZIP_AES = 99


@pytest.fixture(scope="module")
def notify(
    infra: Infra,
    tmp_path_factory: pytest.TempPathFactory,
    identity: tuple[ServiceProcess, Namespace],
) -> Iterator[tuple[ServiceProcess, Namespace]]:
    """Notify, asking the module's identity who reads its delivery log."""
    with running_service(
        "notify",
        infra,
        tmp_path_factory.mktemp("notify"),
        notify_private_key=PRIVATE_KEY,
        mail_languages='{"demo": "en"}',
        identity_url=identity[0].url,
    ) as started:
        yield started


@pytest.fixture
def mailpit(infra: Infra) -> Mailpit:
    return Mailpit(infra.mailpit_url)


async def one_mail(mailpit: Mailpit, to: str) -> EmailMessage:
    [mail] = await eventually(lambda: mailpit.mails_to(to), timeout=30)
    return mail


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    return str(body.get_content())


async def traces(
    proc: ServiceProcess, ns: Namespace, infra: Infra, mongo: Any, case: Case
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Everything notify keeps or says about a mail besides the mail: its log, its delivery
    record once finished, and its announcements on notify.events."""
    event_id = str(case.event.event_id)
    outcomes = mongo[ns.database("notify")]["delivery_outcomes"]
    record = await eventually(lambda: outcomes.find_one({"_id": event_id}))
    records = await read_all(
        infra.kafka_bootstrap_servers,
        ns.topic_prefix + "notify.events",
        until=lambda rs: bool(announcements(rs, event_id)),
    )
    return proc.log_path.read_text(), record, announcements(records, event_id)


@pytest.mark.parametrize("mail_type", sorted(MAIL_TYPES))
async def test_nt_01_nt_02_nt_05_each_mail_type_arrives_once_in_the_portals_words(
    notify: Any,
    infra: Infra,
    mailpit: Mailpit,
    mongo: AsyncMongoClient[dict[str, Any]],
    mail_type: str,
) -> None:
    proc, ns = notify
    to = new_address(mail_type.replace("_", "-"))
    case = MAIL_TYPES[mail_type](to)
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, case.event)

    mail = await one_mail(mailpit, to)
    assert mail["To"] == to
    assert mail["Subject"] == case.subject
    [sender] = mail["From"].addresses
    assert sender.domain == f"{case.event.realm}.example.jp", "each realm mails from its own"
    assert mail["Message-ID"].startswith(f"<{case.event.event_id}@")
    text = text_of(mail)
    for words in case.says:
        assert words in text
    if case.link is not None:
        assert case.link in text
        html = mail.get_body(("html",))
        assert html is not None and f'href="{case.link.replace("&", "&amp;")}"' in str(
            html.get_content()
        )
    if "zip_password" not in case.extra:
        for secret in case.secrets:
            assert secret in text, "every secret but the password notice's is in the body"

    log, record, said = await traces(proc, ns, infra, mongo, case)
    assert record["status"] == "sent" and record["message_id"] == mail["Message-ID"]
    assert [(a["type"], a["message_id"]) for a in said] == [("MailSent", mail["Message-ID"])]
    assert said[0]["recipient_masked"] != to and to.split("@")[1] in said[0]["recipient_masked"]
    elsewhere = log + json.dumps(record, default=str) + json.dumps(said)
    for secret in case.secrets:
        assert secret not in elsewhere, "NT-05: a secret appears only in the mail"
    assert to not in log, "addresses are masked in logs"


async def test_nt_06_the_dantai_net_password_notice_is_an_aes_256_zip_opened_by_the_phone(
    notify: Any, infra: Infra, mailpit: Mailpit
) -> None:
    _, ns = notify
    to = new_address("contact")
    case = password_notice(to)
    [password] = case.secrets
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, case.event)
    mail = await one_mail(mailpit, to)
    [sender] = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "生保団体ネット",
        "support@dantai-net.example.jp",
    ), "seed 000: the password notice comes from a support… address"
    assert password not in mail.as_string(), "not in the body, nor anywhere in clear"

    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "パスワード通知書.zip"
    content = attachment.get_content()
    [stored] = zipfile.ZipFile(io.BytesIO(content)).infolist()  # as the bytes say, undecoded
    assert stored.flag_bits & 0x1, "encrypted"
    assert stored.compress_type == WINZIP_AES, "WinZip AES, not ZipCrypto"
    assert _aes_strength(stored.extra) == AES_256
    archive = pyzipper.AESZipFile(io.BytesIO(content))
    [entry] = archive.infolist()
    with pytest.raises(RuntimeError):
        archive.read(entry, pwd=b"0000000000")
    notice = archive.read(entry, pwd=case.extra["zip_password"].encode()).decode("utf-8")
    assert password in notice and "XA5000123" in notice


def _aes_strength(extra: bytes) -> int:
    """The AE-x extra field (0x9901): vendor version, 'AE', strength (3 = 256 bits), method."""
    while extra:
        header, size = struct.unpack("<HH", extra[:4])
        if header == AES_EXTRA_FIELD:
            return extra[4 + 4]
        extra = extra[4 + size :]
    raise AssertionError("no AES extra field")


def test_nt_02_operators_preview_a_template_with_sample_data(notify: Any) -> None:
    proc, _ = notify
    url = f"{proc.url}/v1/realms/kencom/templates/signup_activation/preview"
    ja = httpx.get(url).json()
    assert ja["subject"] == "【kencom】仮登録ありがとうございます（※まだ本登録は完了していません）"
    assert ja["sender"] == "no-reply@kencom.example.jp"
    assert "https://kencom.example.jp/sample/link" in ja["text"] and ja["html"]
    en = httpx.get(url, params={"lang": "en"}).json()
    assert en["subject"].startswith("[kencom] Thank you for signing up")
    notice = httpx.get(f"{proc.url}/v1/realms/dantai-net/templates/password_notice/preview")
    assert "Sample-Pass-0000" in notice.json()["attachment_text"]
    assert "Sample-Pass-0000" not in notice.json()["text"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/realms/atlantis/templates/otp/preview", 404, "REALM_NOT_FOUND"),
        ("/v1/realms/kencom/templates/no_such_mail/preview", 422, "VALIDATION_ERROR"),
        ("/v1/realms/kencom/templates/otp/preview?lang=fr", 422, "VALIDATION_ERROR"),
        ("/v1/realms/kencom/deliveries?status=lost", 422, "VALIDATION_ERROR"),
        ("/v1/realms/kencom/deliveries?limit=0", 422, "VALIDATION_ERROR"),
    ],
)
def test_x_05_bad_input_to_notify_is_a_problem_not_a_500(
    notify: Any, kencom_support: str, path: str, status: int, code: str
) -> None:
    proc, _ = notify
    r = httpx.get(proc.url + path, headers=bearer(kencom_support))
    assert (r.status_code, r.headers["content-type"]) == (status, "application/problem+json")
    assert r.json()["code"] == code and r.json()["title"]


@pytest.fixture(scope="module")
def kencom_support(identity: tuple[ServiceProcess, Namespace]) -> str:
    return support_session(identity[0], "kencom")[0]


async def test_nt_04_x_15_a_realms_support_finds_its_mails_by_recipient_event_and_status(
    notify: Any, identity: tuple[ServiceProcess, Namespace], infra: Infra, mailpit: Mailpit
) -> None:
    proc, ns = notify
    to = new_address("log")
    nexi, mypage = MAIL_TYPES["otp"](to), MAIL_TYPES["temporary_password"](to)
    await publish(infra.kafka_bootstrap_servers, ns.topic_prefix, nexi.event, mypage.event)
    await eventually(lambda: len(mailpit.mails_to(to)) == 2)
    desks = {realm: support_session(identity[0], realm)[0] for realm in ("nexi", "mypage")}

    def log(realm: str, **query: str) -> list[dict[str, Any]]:
        url = f"{proc.url}/v1/realms/{realm}/deliveries"
        answer = httpx.get(url, params=query, headers=bearer(desks[realm]))
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    [sent] = await eventually(lambda: log("nexi", recipient=to, status="sent"))
    assert sent["event_id"] == str(nexi.event.event_id), "one address, only this realm's mail"
    [other] = await eventually(lambda: log("mypage", recipient=to, status="sent"))
    assert other["event_id"] == str(mypage.event.event_id)
    [one] = log("nexi", event_id=str(nexi.event.event_id))
    assert (one["template"], one["event_type"], one["status"]) == ("otp", "OtpIssued", "sent")
    assert log("nexi", event_id=str(mypage.event.event_id)) == [], "not by its id either"
    assert log("nexi", recipient=to, status="failed") == []
    page = json.dumps(log("nexi", recipient=to) + log("mypage", recipient=to))
    for secret in nexi.secrets + mypage.secrets:
        assert secret not in page

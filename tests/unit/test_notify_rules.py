"""Notify's pure rules and letters, without I/O: fast proof beside the end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from mail_catchers import parse
from mail_events import (
    MAIL_TYPES,
    PRIVATE_KEY,
    PUBLIC_KEY,
    T0,
    login_link,
    org_contact_changed,
    otp,
)

from contracts import Actor, UserStatusChanged, seal
from contracts.identity import UserStatus
from services.notify.domain.deliveries import Sent, Undeliverable, announcement
from services.notify.domain.mails import Template, message_id, order_for
from services.notify.domain.realms import RealmDirectory
from services.notify.domain.wording import (
    absolute_link,
    attachment_password,
    lifetime_words,
    shown_in_tokyo,
)
from services.notify.usecases.mail.letters import CannotCompose, Composer
from services.notify.usecases.mail.rendering import Renderer
from services.notify.usecases.mail.smtp import Courier, SmtpPool

COMPOSER = Composer(RealmDirectory({}, {"demo": "en"}), Renderer(), PRIVATE_KEY)


@pytest.mark.parametrize("mail_type", sorted(MAIL_TYPES))
def test_nt_02_every_letter_is_utf_8_mime_with_encoded_headers(mail_type: str) -> None:
    case = MAIL_TYPES[mail_type]("someone@example.jp")
    order = order_for(case.event)
    assert order is not None
    letter = COMPOSER.compose(order, T0)
    assert letter.data.isascii(), "8-bit clean: Japanese only inside encoded words and base64"
    assert b"\r\n" in letter.data and b"\n" not in letter.data.replace(b"\r\n", b"")
    mail = parse(letter.data)
    assert mail["Subject"] == case.subject
    assert mail["Message-ID"] == message_id(case.event.event_id, letter.sender)
    raw_subject = next(v for k, v in mail.raw_items() if k == "Subject")
    assert "=?utf-8?" in raw_subject or raw_subject.isascii()
    assert str(make_header(decode_header(raw_subject))) == case.subject


def test_nt_01_events_that_need_no_mail_ask_for_none() -> None:
    event = UserStatusChanged(
        occurred_at=T0,
        realm="demo",
        subject_id="u1",
        actor=Actor.system(),
        correlation_id="c",
        status=UserStatus.INACTIVE,
        previous_status=UserStatus.ACTIVE,
    )
    assert order_for(event) is None
    assert {
        order_for(f("a@example.jp").event).template  # type: ignore[union-attr]
        for f in MAIL_TYPES.values()
    } == set(Template)


def test_nt_03_the_message_id_and_the_announcement_ids_follow_the_source_event() -> None:
    case = otp("a@example.jp")
    order = order_for(case.event)
    assert order is not None
    twice = [announcement(order, Sent(1), "<m@x>", T0 + timedelta(minutes=m)) for m in (0, 5)]
    assert twice[0].event_id == twice[1].event_id
    failed = announcement(order, Undeliverable("550 no", 1), "<m@x>", T0)
    assert failed.event_id != twice[0].event_id and failed.type == "MailFailed"
    assert message_id(case.event.event_id, "a@nexi.example.jp") == (
        f"<{case.event.event_id}@nexi.example.jp>"
    )


def test_nt_06_the_attachment_password_is_the_phones_digits() -> None:
    assert attachment_password("03-1234-5678") == attachment_password("0312345678")
    with pytest.raises(ValueError, match="too few digits"):
        attachment_password("12-34")


def test_nt_02_links_stay_below_the_realms_portal() -> None:
    base = "https://kencom.example.jp"
    assert absolute_link(base, "/users/t/activate") == base + "/users/t/activate"
    assert absolute_link(base, base + "/x") == base + "/x"
    for elsewhere in ("https://evil.example/x", "//evil.example/x", base + ".evil.example/x"):
        with pytest.raises(ValueError, match="below the realm's portal"):
            absolute_link(base, elsewhere)


def test_nt_05_a_producer_link_outside_the_portal_is_never_mailed() -> None:

    case = login_link("a@example.jp")
    bad = case.event.model_copy(update={"sealed_link": seal("https://evil.example/", PUBLIC_KEY)})
    order = order_for(bad)
    assert order is not None
    with pytest.raises(CannotCompose, match="below the realm's portal"):
        COMPOSER.compose(order, T0)


def test_x_04_times_and_lifetimes_are_shown_in_tokyo_words() -> None:
    instant = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    assert shown_in_tokyo(instant, "ja") == "2026年4月1日 00:30"
    assert shown_in_tokyo(instant, "en") == "01 Apr 2026 00:30 (JST)"
    assert [lifetime_words(m, "ja") for m in (10, 60, 1440, 90)] == [
        "10分",
        "1時間",
        "24時間",
        "90分",
    ]
    assert [lifetime_words(m, "en") for m in (1, 60, 120)] == ["1 minute", "1 hour", "2 hours"]


def test_nt_04_back_off_grows_exponentially_with_full_jitter_and_a_ceiling() -> None:
    courier = Courier(
        SmtpPool(lambda: None, 1),  # type: ignore[arg-type, return-value]
        max_attempts=10,
        base_delay=0.5,
        max_delay=4.0,
    )
    for attempt, ceiling in ((2, 0.5), (3, 1.0), (4, 2.0), (5, 4.0), (9, 4.0)):
        delays = [courier.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2, "spread over the whole range, not a fixed delay"


def test_au_04_nt_01_an_export_ready_without_a_known_address_asks_for_no_mail() -> None:
    case = MAIL_TYPES["export_ready"]("admin@example.jp")
    order = order_for(case.event)
    assert order is not None and order.template is Template.EXPORT_READY
    assert order.recipient == "admin@example.jp"
    nobody = case.event.model_copy(update={"recipient_email": None})
    assert order_for(nobody) is None, "the job's page shows it; nothing to mail"


def test_id_user_11_nt_06_the_completion_goes_to_the_new_contact_without_the_phone() -> None:
    case = org_contact_changed("madoguchi@example.jp")
    order = order_for(case.event)
    assert order is not None and order.recipient == "madoguchi@example.jp"
    mail = parse(COMPOSER.compose(order, T0).data)
    body = str(mail.get_body(("plain",)).get_content())
    assert "変更した項目：メールアドレス、住所" in body
    assert "03-9876-5432" not in body and "0398765432" not in body, "the phone opens notices"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_nt_02_every_template_of_every_realm_previews_with_the_sample_data(language: str) -> None:
    """The operators' preview (NT-02) of every mail in every realm renders: a template that
    names a fact the sample lacks is a 500 on the preview route (found by the fuzzer once)."""
    from services.notify.domain.realms import PRESETS
    from services.notify.usecases.previews import Previews

    previews = Previews(COMPOSER)
    for realm in PRESETS:
        for template in Template:
            sender, rendered = previews.preview(realm, template, language)  # type: ignore[arg-type]
            assert sender and rendered.subject and rendered.text, (realm, template)

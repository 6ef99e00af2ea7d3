"""kencom's STEP2 consent and codes (EN-09), a union under maintenance and 特例退職's two cards
(EN-10): the pure decisions, and the roster reader's two ways with a former card."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from roster_maker import former, person, write_roster

from contracts.enroll import EligibilityOutcome, SignupChannel
from services.enroll.domain import card, consent, roster, signups
from services.enroll.domain.card import Relationship
from services.enroll.domain.consent import Documents, Ticked
from services.enroll.domain.guidance import UNION_MAINTENANCE, guidance
from services.enroll.domain.refusals import InputRefused, NotFound, RosterRefused
from services.enroll.domain.roster import Maintenance, Restrictions, Roster, RosterPerson
from services.enroll.domain.signups import Checked, NewLink, NewSignup, SignupPolicy, Status
from services.enroll.usecases import roster_encoding, roster_files

NOW = datetime(2026, 4, 1, tzinfo=UTC)
TODAY = date(2026, 4, 1)
INSURER = "06123456"
DOCUMENTS = Documents("2026.04", "https://kencom.example/terms", "3.1", "https://k/privacy")
RETIRED = RosterPerson(
    "5678", "1111111", "ケンコムタロウ", date(1955, 5, 17), Relationship.INSURED, "1234", "2345678"
)


def test_en_09_both_documents_must_be_ticked_and_the_versions_in_force_are_kept() -> None:
    for ticked, field in (
        (Ticked(), "accept_terms"),
        (Ticked(terms=True), "accept_privacy"),
        (Ticked(privacy=True), "accept_terms"),
    ):
        with pytest.raises(InputRefused) as refused:
            consent.accept(DOCUMENTS, ticked, NOW)
        assert refused.value.field == field
    accepted = consent.accept(DOCUMENTS, Ticked(True, True), NOW)
    assert (accepted.terms_version, accepted.privacy_version, accepted.accepted_at) == (
        "2026.04",
        "3.1",
        NOW,
    )


def test_en_09_a_version_revised_since_the_page_was_shown_asks_again() -> None:
    shown = consent.accept(DOCUMENTS, Ticked(True, True, "2026.04", "3.1"), NOW)
    assert shown.terms_version == "2026.04"
    for ticked, field in (
        (Ticked(True, True, "2025.01", "3.1"), "accept_terms"),
        (Ticked(True, True, "2026.04", "3.0"), "accept_privacy"),
    ):
        with pytest.raises(InputRefused, match="改定されました") as refused:
            consent.accept(DOCUMENTS, ticked, NOW)
        assert refused.value.field == field


def test_en_09_member_registered_carries_the_consent_and_the_invitation_code() -> None:
    accepted = consent.accept(DOCUMENTS, Ticked(True, True), NOW)
    link = NewLink("link", signups.SealedSecret.from_wire("sealed:v1:" + "A" * 80))
    cmd = NewSignup(
        "c" * 32, "a@example.jp", SignupChannel.PC, False, "ref", link, True, "g-1", "corr",
        invitation_code="FRIEND2026", consent=accepted,
    )  # fmt: skip
    signup = signups.start(None, cmd, SignupPolicy(), NOW).state
    assert signup is not None and signup.consent == accepted
    assert signup.invitation_code == "FRIEND2026"
    step = signup.but(status=Status.ACTIVATED, step=signups.Expiring("s", NOW), link=None)
    checked = Checked(EligibilityOutcome.ELIGIBLE, INSURER, person_key="p")
    eligible = signups.check(step, "s", checked, SignupPolicy(), NOW, "corr").state
    [event] = signups.registered(eligible, NOW, "corr", "cause").events
    assert event.model_dump(include={"invitation_code", "group_id", "terms_version"}) == {
        "invitation_code": "FRIEND2026",
        "group_id": "g-1",
        "terms_version": "2026.04",
    }
    assert (event.privacy_version, event.consented_at) == ("3.1", NOW)  # type: ignore[attr-defined]


def a_roster(mark: Maintenance | None = None, digest: str = "d") -> Roster:
    return Roster(INSURER, "roster.x", 4, 2, digest, Restrictions(), maintenance=mark)


def test_en_10_support_marks_a_union_under_maintenance_and_ends_it() -> None:
    marked = roster.maintain(a_roster(), True, "desk-1", NOW)
    assert marked.outcome is True and marked.state is not None
    assert marked.state.maintenance == Maintenance("desk-1", NOW)
    assert roster.maintain(marked.state, True, "desk-2", NOW).outcome is False, "no change twice"
    ended = roster.maintain(marked.state, False, "desk-2", NOW)
    assert ended.state is not None and not ended.state.under_maintenance
    with pytest.raises(NotFound):
        roster.maintain(None, True, "desk-1", NOW)


def test_en_10_a_new_import_keeps_the_unions_maintenance() -> None:
    mark = Maintenance("desk-1", NOW)
    switched = roster.in_force(a_roster(mark), a_roster(digest="new"))
    assert switched.state is not None and switched.state.maintenance == mark
    assert roster.in_force(a_roster(mark), a_roster(digest="d")).outcome is False


def test_en_10_the_maintenance_answer_is_the_seeds_guidance() -> None:
    lines = guidance(UNION_MAINTENANCE)
    assert "kencomメンテナンスを実施している" in lines[0]
    assert "まずはお客様サポートにお問い合わせ下さい。" in lines


def test_en_10_a_retired_member_is_found_by_either_card_as_one_person() -> None:
    entries = RETIRED.entries()
    assert [(s, n) for s, n, _ in entries] == [("5678", "1111111"), ("1234", "2345678")]
    text = "\n".join(packed for _, _, packed in entries)
    by_new = roster.in_bucket(text, "5678", "1111111")
    by_old = roster.in_bucket(text, "1234", "2345678")
    assert by_new == by_old == [RETIRED], "either card: the same person, its current card first"
    key = roster.person_key(b"k" * 32, INSURER, by_old[0])
    assert key == roster.person_key(b"k" * 32, INSURER, by_new[0]), "one check per person"
    typed = card.Card("ケンコムタロウ", date(1955, 5, 17), INSURER, "1234", "2345678")
    said = roster.check(typed, a_roster(), by_old, TODAY)
    assert said.outcome is EligibilityOutcome.ELIGIBLE


def test_en_10_the_former_card_is_read_from_its_columns_both_or_neither() -> None:
    columns = roster.header(["記号", "番号", "氏名カナ", "生年月日", "続柄", "旧記号", "旧番号"])
    line = ["5678", "1111111", "ｹﾝｺﾑ ﾀﾛｳ", "1955/5/17", "本人", "71-1234", "12345678"]
    assert roster.row(line, columns, 2, INSURER, TODAY) == RETIRED
    plain = roster.row([*line[:5], "", ""], columns, 3, INSURER, TODAY)
    assert plain.former is None and plain.entries() == [("5678", "1111111", plain.packed())]
    for half, field in (
        ([*line[:6], ""], "former_number"),
        ([*line[:5], "", "12345678"], "former_symbol"),
    ):
        with pytest.raises(RosterRefused) as refused:
            roster.row(half, columns, 4, INSURER, TODAY)
        assert (refused.value.line, refused.value.field) == (4, field)
    with pytest.raises(RosterRefused) as refused:
        roster.row([*line[:5], "1234", "12ab"], columns, 5, INSURER, TODAY)
    assert refused.value.field == "former_number"


def test_en_10_a_file_with_former_cards_reads_alike_both_ways(tmp_path: Path) -> None:
    retired = frozenset({0, 3, 7})
    path = write_roster(tmp_path / "r.csv", INSURER, 20, "cp932", retired=retired)
    chosen, _ = roster_encoding.probe(path, "auto")
    parts = tmp_path / "parts"
    parts.mkdir()
    spool = roster_files.Spool(INSURER, TODAY, 8, 12345, parts)
    done = roster_files.spool_file(path, chosen, spool, Restrictions())
    assert done.rows == 20, "a former card is no line of its own"
    stored = [
        line
        for p in done.partitions
        for _, text in roster_files.partition_buckets(p)
        for line in zlib.decompress(text).decode().split("\n")
    ]
    assert len(stored) == 23
    for i in retired:
        symbol, number = former(i)
        [found] = roster.in_bucket("\n".join(stored), card.symbol(symbol), card.number(number))
        assert found.name_kana == card.name_kana(person(i)[2])
        assert (found.symbol, found.number) == (
            card.symbol(person(i)[0]),
            card.number(person(i)[1]),
        )

"""A union's roster (名簿, EN-07) and the eligibility answer it gives a card (EN-04). Pure.

A roster is one union's (one 保険者番号's) list of insured persons and dependants, keyed by
記号 and 番号 (a family shares them; name and birth date tell its people apart), with the
union's restrictions as data. It is stored as *buckets*: each line goes to the bucket its key
hashes to, and a bucket is one document, so an import writes a few thousand documents instead
of a million, and a check reads one document by ``_id`` (the only lookup FerretDB pushes down).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from contracts.enroll import EligibilityOutcome, EligibilityRestriction
from domainkit.decision import Decision
from services.enroll.domain import card
from services.enroll.domain.card import Card, Relationship
from services.enroll.domain.refusals import CardRefused, NotFound, RosterRefused

#: The columns of a roster file, by the names a header may give them (Japanese or English).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "symbol": ("記号", "symbol"),
    "number": ("番号", "number"),
    "name_kana": ("氏名カナ", "氏名（カナ）", "氏名(カナ)", "カナ氏名", "name_kana"),
    "birth_date": ("生年月日", "birth_date"),
    "relationship": ("続柄", "本人家族区分", "relationship"),
}
OPTIONAL_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "insurer_number": ("保険者番号", "insurer_number"),
    "former_symbol": ("旧記号", "退職前記号", "former_symbol"),
    "former_number": ("旧番号", "退職前番号", "former_number"),
}
"""``former_…``: 特例退職 (EN-10): the card a retired member held before, beside the new one on
the same line, so that either card finds one person (one check per person still holds)."""

RELATIONSHIPS = {
    "本人": Relationship.INSURED,
    "被保険者": Relationship.INSURED,
    "insured": Relationship.INSURED,
    "1": Relationship.INSURED,
    "家族": Relationship.DEPENDANT,
    "被扶養者": Relationship.DEPENDANT,
    "dependant": Relationship.DEPENDANT,
    "2": Relationship.DEPENDANT,
}
_DATE = re.compile(r"^([0-9]{4})[-/]?([0-9]{1,2})[-/]?([0-9]{1,2})$")


@dataclass(frozen=True)
class Restrictions:
    """How a union restricts use (EN-04), as the import says: data, not code."""

    insured_only: bool = False
    """Only insured persons (被保険者), no dependants."""
    dependant_min_age: int | None = None
    """Dependants below this age may not use the service."""
    dependant_max_age: int | None = None
    """Dependants above this age may not use the service."""

    def refuses(self, person: RosterPerson, today: date) -> EligibilityRestriction | None:
        if person.relationship is not Relationship.DEPENDANT:
            return None
        if self.insured_only:
            return EligibilityRestriction.INSURED_PERSONS_ONLY
        age = card.age_on(person.birth_date, today)
        too_young = self.dependant_min_age is not None and age < self.dependant_min_age
        too_old = self.dependant_max_age is not None and age > self.dependant_max_age
        return EligibilityRestriction.DEPENDANT_AGE_LIMIT if too_young or too_old else None


@dataclass(frozen=True)
class RosterPerson:
    """One line of a roster, normalised as a card is (EN-03)."""

    symbol: str
    number: str
    name_kana: str
    birth_date: date
    relationship: Relationship
    former_symbol: str | None = None
    """特例退職 (EN-10): the 記号 of the card held before retiring; the person's key (one check
    per person) stays the current card's, whichever card is typed."""
    former_number: str | None = None

    @property
    def former(self) -> tuple[str, str] | None:
        if self.former_symbol is None or self.former_number is None:
            return None
        return self.former_symbol, self.former_number

    def packed(self) -> str:
        """The line as a bucket keeps it: tab-separated, no field holds a tab or newline; a
        person with a former card carries it after the five fields."""
        line = packed(
            self.symbol,
            self.number,
            self.name_kana,
            f"{self.birth_date:%Y%m%d}",
            RELATIONSHIP_CODES[self.relationship],
        )
        return line if self.former is None else f"{line}\t{self.former[0]}\t{self.former[1]}"

    def entries(self) -> list[tuple[str, str, str]]:
        """(記号, 番号, packed) for each card that finds this person: the current one, and the
        former one (its entry keyed by that card, marked ``former``)."""
        found = [(self.symbol, self.number, self.packed())]
        if self.former is not None:
            symbol, number = self.former
            rest = f"{self.name_kana}\t{self.birth_date:%Y%m%d}"
            rest += f"\t{RELATIONSHIP_CODES[self.relationship]}"
            alias = f"{symbol}\t{number}\t{rest}\t{self.symbol}\t{self.number}\t{FORMER}"
            found.append((symbol, number, alias))
        return found

    @classmethod
    def unpacked(cls, line: str) -> RosterPerson:
        """A bucket's line: five fields; seven (with the former card); or eight (keyed by the
        former card, the current one after it)."""
        fields = line.split("\t")
        symbol, number, name, born, rel = fields[:5]
        former: tuple[str | None, str | None] = (None, None)
        if len(fields) == 7:
            former = (fields[5], fields[6])
        elif len(fields) == 8:
            former, (symbol, number) = (symbol, number), (fields[5], fields[6])
        return cls(
            symbol,
            number,
            name,
            date(int(born[:4]), int(born[4:6]), int(born[6:])),
            Relationship.INSURED if rel == "1" else Relationship.DEPENDANT,
            *former,
        )


RELATIONSHIP_CODES = {Relationship.INSURED: "1", Relationship.DEPENDANT: "2"}
FORMER = "former"
"""Marks a bucket's entry keyed by a 特例退職 member's former card."""


def packed(symbol: str, number: str, name: str, born: str, relationship: str) -> str:
    """A roster line as a bucket keeps it (``born`` as YYYYMMDD, ``relationship`` 1 or 2)."""
    return f"{symbol}\t{number}\t{name}\t{born}\t{relationship}"


@dataclass(frozen=True)
class Roster:
    """A union's roster as one version: where its buckets are, how many, what it restricts."""

    insurer_number: str
    collection: str
    buckets: int
    rows: int
    digest: str
    """SHA-256 of the normalised lines and the restrictions: the same roster twice is one."""
    restrictions: Restrictions
    imported_at: datetime | None = None
    salt: int = 0
    """Seeds the bucket hash: random per import, so no file can aim its lines at one bucket."""
    maintenance: Maintenance | None = None
    """Set while the union is under kencom maintenance (EN-10, seed 003 A3 原因③): its card
    checks answer the seed's guidance and count no try. A new import keeps it."""

    @property
    def under_maintenance(self) -> bool:
        return self.maintenance is not None


@dataclass(frozen=True)
class Maintenance:
    """Who marked the union's roster under kencom maintenance, and since when."""

    by: str
    since: datetime


def in_force(current: Roster | None, new: Roster) -> Decision[Roster, bool]:
    """The new roster in force, unless the one in force is the same (EN-07: idempotent); the
    union's maintenance mark stays with the union, whatever its roster (EN-10)."""
    if current is not None and current.digest == new.digest:
        return Decision.nothing(False)
    kept = None if current is None else current.maintenance
    return Decision.commit(True, replace(new, maintenance=kept))


def maintain(current: Roster | None, on: bool, by: str, now: datetime) -> Decision[Roster, bool]:
    """Support marks a union's roster under kencom maintenance, or ends it (EN-10); answers
    whether anything changed. A union without a roster has nothing to maintain."""
    if current is None:
        raise NotFound("この保険者番号の名簿はありません")
    if current.under_maintenance == on:
        return Decision.nothing(False)
    return Decision.commit(True, replace(current, maintenance=Maintenance(by, now) if on else None))


def bucket_of(symbol: str, number: str, buckets: int, salt: int) -> int:
    """Which bucket a key's lines are in: CRC-32 (fast: a million lines are hashed in an
    import), seeded with the import's random salt."""
    return zlib.crc32(f"{symbol}\t{number}".encode(), salt) % buckets


def bucket_count(estimated_rows: int, rows_per_bucket: int) -> int:
    return max(1, -(-estimated_rows // rows_per_bucket))


def in_bucket(packed: str, symbol: str, number: str) -> list[RosterPerson]:
    """The people of one key in a bucket's text (one line each)."""
    prefix = f"{symbol}\t{number}\t"
    return [RosterPerson.unpacked(line) for line in packed.split("\n") if line.startswith(prefix)]


# --- reading a file's lines ---------------------------------------------------------------------


def header(names: Sequence[str]) -> dict[str, int]:
    """Where each column is, from a header line (line 1); refused naming a missing column."""
    cleaned = [n.strip().lstrip("\ufeff") for n in names]
    found: dict[str, int] = {}
    for column, aliases in {**COLUMNS, **OPTIONAL_COLUMNS}.items():
        for i, name in enumerate(cleaned):
            if name in aliases:
                found[column] = i
                break
        else:
            if column in COLUMNS:
                raise RosterRefused(1, column, f"見出し行に「{aliases[0]}」の列がありません")
    return found


def row(
    fields: Sequence[str], columns: Mapping[str, int], line: int, insurer: str, today: date
) -> RosterPerson:
    """One data line, normalised; refused naming its line number and field."""
    if len(fields) <= max(columns.values()):
        raise RosterRefused(line, None, f"{line}行目の列の数が見出し行と合いません")

    def value(column: str) -> str:
        return fields[columns[column]]

    try:
        if "insurer_number" in columns and card.insurer_number(value("insurer_number")) != insurer:
            raise CardRefused("insurer_number", "保険者番号が取り込み先の保険者番号と異なります")
        person = RosterPerson(
            symbol=card.symbol(value("symbol")),
            number=card.number(value("number")),
            name_kana=card.name_kana(value("name_kana")),
            birth_date=card.birth_date(_date(value("birth_date")), today),
            relationship=_relationship(value("relationship")),
        )
        person = _with_former(person, fields, columns)
    except CardRefused as refused:
        raise RosterRefused(line, refused.field, f"{line}行目: {refused.detail}") from None
    return person


def _with_former(
    person: RosterPerson, fields: Sequence[str], columns: Mapping[str, int]
) -> RosterPerson:
    """特例退職 (EN-10): the former card's 記号 and 番号, both or neither; the same card as the
    current one is no second card."""
    names = ("former_symbol", "former_number")
    typed = {c: fields[columns[c]].strip() for c in names if c in columns}
    if not any(typed.values()):
        return person
    for column in names:
        if not typed.get(column):
            raise CardRefused(column, "旧記号と旧番号は両方を入力してください")
    try:
        former = card.symbol(typed["former_symbol"]), ""
    except CardRefused as refused:
        raise CardRefused("former_symbol", f"旧記号: {refused.detail}") from None
    try:
        former = former[0], card.number(typed["former_number"])
    except CardRefused as refused:
        raise CardRefused("former_number", f"旧番号: {refused.detail}") from None
    if former == (person.symbol, person.number):
        return person
    return replace(person, former_symbol=former[0], former_number=former[1])


def _date(text: str) -> date:
    match = _DATE.fullmatch(card.half_width(text))
    try:
        if match is None:
            raise ValueError(text)
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise CardRefused("birth_date", "生年月日はYYYY-MM-DDの形で入力してください") from None


def _relationship(text: str) -> Relationship:
    found = RELATIONSHIPS.get(card.half_width(text).lower())
    if found is None:
        raise CardRefused("relationship", "続柄は「本人」か「家族」で入力してください")
    return found


# --- the check ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardCheck:
    """What the roster says of a card, before the one-check-per-person rule is applied."""

    outcome: EligibilityOutcome
    restriction: EligibilityRestriction | None = None
    person: RosterPerson | None = None


def check(
    typed: Card, roster: Roster | None, family: Sequence[RosterPerson], today: date
) -> CardCheck:
    """EN-04 against the union's roster; ``family`` is the roster's people of the card's key.

    No roster for the insurer number: the union's data is not linked yet. A roster without
    this person answers *no match* whether the key is missing or the name or birth date differ,
    so nobody learns from the answer which card numbers exist.
    """
    if roster is None:
        return CardCheck(EligibilityOutcome.NOT_YET_LINKED)
    person = next(
        (p for p in family if p.name_kana == typed.name_kana and p.birth_date == typed.birth_date),
        None,
    )
    if person is None:
        return CardCheck(EligibilityOutcome.NO_MATCH)
    restriction = roster.restrictions.refuses(person, today)
    if restriction is not None:
        return CardCheck(EligibilityOutcome.RESTRICTED, restriction, person)
    return CardCheck(EligibilityOutcome.ELIGIBLE, person=person)


def person_key(key: bytes, insurer: str, person: RosterPerson) -> str:
    """One person, whatever the sign-up (one check per person, seed 003 A3 原因①): a keyed
    digest, since card numbers and birth dates are not to be kept in clear as facts."""
    text = (
        f"{insurer}|{person.symbol}|{person.number}|{person.birth_date:%Y%m%d}|{person.name_kana}"
    )
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

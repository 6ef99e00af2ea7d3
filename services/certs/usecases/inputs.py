"""What a user types from the notice, checked before any notice is read: the API's bodies and
the screens' forms share these rules. Fields are the seed's (CT-02), half-width, with the
formats of its input table; a value of the wrong shape is a 422 before any notice is read."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.certs import ReissueReason
from contracts.common import MAIL_ADDRESS
from services.certs.domain.decisions import IssueRequest, NoticeRequest
from services.certs.usecases.signing import KeyAlgorithm

KihonetCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]
ManagementNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{10}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{7}$")]
Year = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
Branch = Annotated[str, StringConstraints(pattern=r"^[0-9]{3}$")]
Email = Annotated[
    str, StringConstraints(min_length=3, max_length=254, pattern=MAIL_ADDRESS.pattern)
]
"""The portals' one definition (``contracts.common.MAIL_ADDRESS``), which the certificate's
RFC822Name holds: ``cryptography`` refuses a comment or display name (``a(b)@c.jp``) only when it
builds the certificate, after the notice was matched (X-05)."""
Pem = Annotated[str, StringConstraints(min_length=1, max_length=16_384)]


class NoticeFields(BaseModel):
    """A 「ユーザーIDのお知らせ」 as the back office or support records it (CT-02, CT-06): the API's
    body and the support console's form share these rules."""

    model_config = ConfigDict(extra="forbid")

    kihonet_code: KihonetCode = Field(description="企保ネットコード (半角数字8桁)")
    management_number: ManagementNumber = Field(description="管理番号 (半角英数10桁)")
    user_id: UserId = Field(description="ユーザーID (半角英数7桁)")
    issued_on: date | None = Field(
        default=None,
        description="The day the user ID was issued (Asia/Tokyo); default today. It decides "
        "the notice's 年: the next year on December's last business day (CT-02).",
    )
    reason: ReissueReason | None = Field(
        default=None, description="A reissue notice's reason; none for the first issue (枝番 001)"
    )

    def request(self, today: date) -> NoticeRequest:
        """The notice as the CA's rules record it; issued ``today`` (Tokyo) unless dated."""
        return NoticeRequest(
            kihonet_code=self.kihonet_code,
            management_number=self.management_number,
            user_id=self.user_id,
            issued_on=self.issued_on or today,
            reason=self.reason,
        )


class RequestFields(BaseModel):
    """What the user types from the notice (CT-02), and the address for reminders (CT-04)."""

    model_config = ConfigDict(extra="forbid")

    kihonet_code: KihonetCode = Field(description="企保ネットコード")
    management_number: ManagementNumber = Field(description="管理番号")
    user_id: UserId = Field(description="ユーザーID")
    year: Year = Field(description="年 (西暦4桁)")
    branch_number: Branch = Field(description="枝番 (新規取得は 001)")
    email: Email = Field(description="Eメールアドレス: 更新のご案内の宛先")

    def request(self) -> IssueRequest:
        """The fields as the CA's rules compare them with the notice."""
        return IssueRequest(
            kihonet_code=self.kihonet_code,
            management_number=self.management_number,
            user_id=self.user_id,
            year=int(self.year),
            branch_number=self.branch_number,
            email=self.email,
        )


class KeyMadeHere(BaseModel):
    """A key pair certs makes, and the password of the PKCS#12 it is answered in: the issue's
    and the renewal screen's one rule for that password."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(
        min_length=8, max_length=128, repr=False, description="Protects the PKCS#12 answered"
    )
    key_algorithm: KeyAlgorithm = KeyAlgorithm.EC_P256


class Pkcs12IssueIn(KeyMadeHere, RequestFields):
    """The notice's fields, then the password (the order of the issue screen)."""

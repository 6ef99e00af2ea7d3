"""What a user types from the notice, checked before any notice is read: the API's bodies and
the screens' forms share these rules. Fields are the seed's (CT-02), half-width, with the
formats of its input table; a value of the wrong shape is a 422 before any notice is read."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contracts.common import MAIL_ADDRESS
from services.certs.domain.decisions import IssueRequest
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

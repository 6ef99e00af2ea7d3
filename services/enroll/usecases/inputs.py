"""What a person types to sign up, checked before anything is read: the API's body and the
sign-up page's form share these rules. Parsed, not just checked."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from contracts.common import MAIL_ADDRESS
from contracts.enroll import SignupChannel

Email = Annotated[
    str, StringConstraints(min_length=3, max_length=254, pattern=MAIL_ADDRESS.pattern)
]
"""The portals' one definition (``contracts.common.MAIL_ADDRESS``): the address is mailed the
sign-up's link, and a comment in it (``a(b)@c.jp``) would send the link to ``a@c.jp``."""


Version = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,40}$")]


class Strict(BaseModel):
    """A body or form that names every field it takes, and never echoes what was typed."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class SignupIn(Strict):
    """新規登録 (EN-01): the address twice, the password, and where the sign-up begins."""

    email: Email
    """The login ID: upper and lower case are told apart (seed 003)."""
    email_confirmation: Email
    """Typed again, not pasted: it must equal ``email`` exactly."""
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    channel: SignupChannel = SignupChannel.PC
    """``app``: the link is valid 24 hours; ``pc``: 1 hour (EN-02)."""
    invitation_code: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    """招待コード (optional; 4–32 letters and digits): a member's referral, recorded (EN-09)."""
    group_link_code: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    """団体連携コード (optional): one of ``GROUP_LINK_CODES``; the member's group is recorded."""
    accept_terms: bool = False
    """STEP2 (EN-09): the kencom 会員規約 is accepted; required."""
    accept_privacy: bool = False
    """STEP2 (EN-09): the プライバシーポリシー is accepted; required."""
    terms_version: Version | None = None
    """The 会員規約 version the client showed (``GET …/signups/documents``); a newer one in
    force refuses the sign-up, so the person reads it first."""
    privacy_version: Version | None = None

    @model_validator(mode="after")
    def _same_address(self) -> Self:
        if self.email != self.email_confirmation:
            raise ValueError("メールアドレスと確認用のメールアドレスが一致しません")
        return self

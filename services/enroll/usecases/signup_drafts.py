"""新規登録's confirmation (EN-01, EN-02, WEB-05; seed 003: the app's STEP1-2 「入力内容の確認」,
the PC's STEP2 before 「仮登録メールを送信する」): what was typed, carried from the form to the
confirmation's button without the password ever in the page.

The confirmation shows the address back and sends the sign-up only when pressed, so what was
typed must cross one more request. Kept server-side it would be a record per visitor of an
open form (X-14: strangers' input must not make storage grow); so it travels in the page as a
*draft*, sealed (XSalsa20-Poly1305, libsodium's secretbox) with a key of this deployment kept
in the database (every replica reads the same): the browser holds it but cannot read the
password in it nor change anything, and it is good for ``DRAFT_LIFETIME``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from contracts.enroll import SignupChannel
from services.enroll.usecases.context import Context

DRAFT_LIFETIME = timedelta(minutes=30)
"""How long the confirmation may stay open before 仮登録メールを送信する."""


@dataclass(frozen=True)
class Draft:
    email: str
    password: str
    channel: SignupChannel
    sealed_at: datetime
    invitation_code: str | None = None
    group_link_code: str | None = None

    def __repr__(self) -> str:
        return f"Draft(email=<{len(self.email)} chars>, channel={self.channel.value})"


class SignupDrafts:
    def __init__(self, context: Context) -> None:
        self.context = context
        self._box: SecretBox | None = None

    async def box(self) -> SecretBox:
        if self._box is None:
            self._box = SecretBox(await self.context.store.server_key("signup-draft"))
        return self._box

    async def seal(
        self,
        email: str,
        password: str,
        channel: SignupChannel,
        invitation_code: str | None = None,
        group_link_code: str | None = None,
    ) -> str:
        """What was typed, for the confirmation page's hidden field (the codes too, EN-09)."""
        now = self.context.clock.now()
        plain = {
            "e": email,
            "p": password,
            "c": channel.value,
            "t": now.timestamp(),
            "i": invitation_code,
            "g": group_link_code,
        }
        sealed = (await self.box()).encrypt(json.dumps(plain).encode())
        return base64.urlsafe_b64encode(bytes(sealed)).rstrip(b"=").decode()

    async def open(self, sealed: str, fresh: bool = True) -> Draft | None:
        """The draft, or None when it is not one of ours, was changed, or (``fresh``) is older
        than ``DRAFT_LIFETIME``; 戻る reads an older one too, for the address it holds."""
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
            plain = json.loads((await self.box()).decrypt(raw))
            draft = Draft(
                email=str(plain["e"]),
                password=str(plain["p"]),
                channel=SignupChannel(plain["c"]),
                sealed_at=datetime.fromtimestamp(float(plain["t"]), UTC),
                invitation_code=_text(plain.get("i")),
                group_link_code=_text(plain.get("g")),
            )
        except (binascii.Error, ValueError, CryptoError, KeyError, TypeError):
            return None
        if fresh and self.context.clock.now() - draft.sealed_at > DRAFT_LIFETIME:
            return None
        return draft


def _text(value: object) -> str | None:
    return None if value is None else str(value)

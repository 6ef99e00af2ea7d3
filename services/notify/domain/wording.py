"""The opened secrets and the times, as a mail shows them: pure wording rules (NT-02, NT-06, X-04).

The composer (``usecases.mail.letters``) opens the sealed secrets; these rules say what the
reader sees of them: a ZIP password of digits only, a link that can only point below the realm's
own portal, a time in Tokyo, a lifetime in the mail's language.
"""

from __future__ import annotations

import re
from datetime import datetime

from domainkit.tokyo import TOKYO

_DIGITS = re.compile(r"[0-9]")


def attachment_password(phone: str) -> str:
    """The ZIP password from the contact's phone number: its digits, so ``03-1234-5678`` and
    ``0312345678`` open the same notice (the mail tells the reader to type digits only)."""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) < 6:
        raise ValueError("the contact's phone number has too few digits to protect a notice")
    return digits


def absolute_link(base_url: str, link: str) -> str:
    """A mailed link below the realm's portal URL.

    Producers seal a path (``/realms/…/confirm?token=…``) and notify puts the portal in front;
    a full URL is accepted only below that same portal, so a producer's mistake can never turn
    a mail into a link elsewhere.
    """
    if link.startswith("/") and not link.startswith("//"):
        return base_url + link
    if link.startswith(base_url + "/"):
        return link
    raise ValueError("a mailed link must be a path below the realm's portal URL")


def shown_in_tokyo(instant: datetime, language: str) -> str:
    """X-04: stored in UTC, shown to people in Asia/Tokyo."""
    local = instant.astimezone(TOKYO)
    if language == "ja":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%d %b %Y %H:%M} (JST)"


def lifetime_words(minutes: int, language: str) -> str:
    """How long a link or code stays valid, as the mail says it: ``10分``, ``24時間``."""
    hours, rest = divmod(minutes, 60)
    if language == "ja":
        return f"{hours}時間" if hours and not rest else f"{minutes}分"
    if hours and not rest:
        return f"{hours} hour{'s' if hours > 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"

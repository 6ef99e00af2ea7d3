"""How each portal writes its mail: name, sender, links, language (NT-02). Pure data.

A preset per seed portal, like identity's realm policies. The addresses and URLs are
``example.jp`` stand-ins for the portals' own; ``MAIL_BASE_URLS`` and ``MAIL_LANGUAGES`` change
them per realm without a deploy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal, get_args

Language = Literal["ja", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)


@dataclass(frozen=True)
class RealmMail:
    realm: str
    portal_name: str
    """How the portal calls itself in subjects and signatures (生保団体ネット)."""
    portal_name_en: str
    sender: str
    """The From address of every mail of the realm, unless ``notice_sender`` says otherwise."""
    base_url: str
    """The portal's public URL; mailed links are paths below it."""
    language: Language = "ja"
    notice_sender: str | None = None
    """Seed 000: the password notice (【ご利用開始情報連絡】) comes from a ``support…`` address."""
    password_notice_as_attachment: bool = False
    """NT-06: the password notice is an AES-256 ZIP opened with the contact's phone number."""

    def name_in(self, language: Language) -> str:
        return self.portal_name if language == "ja" else self.portal_name_en


PRESETS: Mapping[str, RealmMail] = {
    preset.realm: preset
    for preset in (
        RealmMail(
            "dantai-net",
            "生保団体ネット",
            "Seiho Dantai Net",
            sender="dantai@dantai-net.example.jp",
            notice_sender="support@dantai-net.example.jp",
            base_url="https://dantai-net.example.jp",
            password_notice_as_attachment=True,
        ),
        RealmMail(
            "kihonet",
            "企保ネット",
            "Kiho Net",
            sender="info@kihonet.example.jp",
            base_url="https://kihonet.example.jp",
        ),
        RealmMail(
            "mypage",
            "県民共済 My Page",
            "Kenmin Kyosai My Page",
            sender="mypage@mypage.example.jp",
            base_url="https://mypage.example.jp",
        ),
        RealmMail(
            "kencom",
            "kencom",
            "kencom",
            sender="no-reply@kencom.example.jp",
            base_url="https://kencom.example.jp",
        ),
        RealmMail(
            "nexi",
            "NEXI Webサービス",
            "NEXI Web Service",
            sender="web_info@nexi.example.jp",
            base_url="https://nexi.example.jp",
        ),
        RealmMail(
            "demo",
            "デモポータル",
            "Demo Portal",
            sender="no-reply@demo.example.jp",
            base_url="https://demo.example.jp",
        ),
    )
}


class RealmDirectory:
    """The presets with the operator's per-realm overrides from the settings applied."""

    def __init__(self, base_urls: Mapping[str, str], languages: Mapping[str, str]) -> None:
        unknown = {lang for lang in languages.values() if lang not in LANGUAGES}
        if unknown:
            raise ValueError(f"mail languages must be among {LANGUAGES}, not {sorted(unknown)}")
        self._realms = {
            name: replace(
                preset,
                base_url=base_urls.get(name, preset.base_url).rstrip("/"),
                language=languages.get(name, preset.language),  # type: ignore[arg-type]
            )
            for name, preset in PRESETS.items()
        }

    def get(self, realm: str) -> RealmMail | None:
        return self._realms.get(realm)

"""The wording of every mail: Jinja2 templates per language, realm and mail (NT-02).

``templates/<language>/<realm or default>/<mail>.{subject,txt,html}.j2`` beside this module
(mail, not pages: they live with the rendering that reads them): a realm's own file wins
over the default one, and a folder named by ``MAIL_TEMPLATES_DIR`` wins over both, so operators
can change wording without a deploy. The plain-text part is always there; an HTML part only
where the template has one (links are easier to follow there). HTML is autoescaped; undefined
variables are errors, so a template that names a fact nobody gives fails visibly (its mail goes
to the dead-letter topic) instead of mailing a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplatesNotFound,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from services.notify.domain.mails import Template
from services.notify.domain.realms import Language, RealmMail
from services.notify.domain.wording import lifetime_words, shown_in_tokyo

BUILT_IN = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None
    attachment_text: str | None
    """The text of the password notice that travels as an encrypted attachment (NT-06)."""


@pass_context
def _tokyo_time(context: Context, instant: datetime) -> str:
    return shown_in_tokyo(instant, context["language"])


@pass_context
def _duration(context: Context, minutes: int) -> str:
    return lifetime_words(minutes, context["language"])


class Renderer:
    def __init__(self, override_dir: str = "") -> None:
        search = [override_dir] if override_dir else []
        self.env = Environment(
            loader=FileSystemLoader([*search, str(BUILT_IN)]),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
        )
        self.env.filters["tokyo_time"] = _tokyo_time
        self.env.filters["duration"] = _duration

    def render(
        self,
        template: Template,
        realm: RealmMail,
        variables: Mapping[str, Any],
        *,
        language: Language | None = None,
    ) -> Rendered:
        """Raises ``jinja2.TemplateError`` when a template is missing or does not render."""
        lang = language or realm.language
        context = {
            **variables,
            "language": lang,
            "portal_name": realm.name_in(lang),
            "base_url": realm.base_url,
        }

        def part(kind: str, required: bool = True) -> str | None:
            names = [
                f"{lang}/{realm.realm}/{template}.{kind}.j2",
                f"{lang}/default/{template}.{kind}.j2",
            ]
            try:
                return self.env.select_template(names).render(context)
            except TemplatesNotFound:
                if required:
                    raise
                return None

        subject = " ".join((part("subject") or "").split())
        attachment = part("attachment.txt") if variables.get("as_attachment") else None
        return Rendered(subject, part("txt") or "", part("html", required=False), attachment)

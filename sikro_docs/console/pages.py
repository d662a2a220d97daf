"""The console's pages: Jinja2 templates (autoescaped, strict) and the formatting they share.

The templates are the console's own (no office overrides): every value a page
shows is escaped, applicants' data included. Dates and times are the office's
(clock.py), in Bahasa Indonesia or English (babel).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime

from ..clock import office_timezone
from ..timestamps import parse_utc
from ..web.i18n import ZONE_NAMES
from . import i18n

HERE = Path(__file__).parent


class Formatter:
    """Dates, times and spans in one language (handed to templates as `fmt`)."""

    def __init__(self, lang: str, tz, locale: Locale):
        self.lang, self.tz, self.locale = lang, tz, locale
        self.t = i18n.words(lang)
        self.zone = ZONE_NAMES.get(str(tz), "")

    def date(self, day: dt.date | None) -> str | None:
        return format_date(day, i18n.DATE_PATTERN, locale=self.locale) if day else None

    def moment(self, when: dt.datetime | str | None) -> str | None:
        if not when:
            return None
        if isinstance(when, str):
            when = parse_utc(when)
        local = when.astimezone(self.tz)
        shown = format_datetime(local, i18n.DATETIME_PATTERN[self.lang], tzinfo=self.tz, locale=self.locale)
        return f"{shown} {self.zone}".strip()

    def span(self, text: str | None) -> str | None:
        return i18n.span_words(text, self.lang)

    def lifetime(self) -> str:
        return "Seumur Hidup" if self.lang == "id" else "For life"


class Pages:
    def __init__(self, ws):
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        office = ws.profile.get("office", {})
        self.office = {"name": office.get("short_name", ""), "regency": office.get("regency", "")}
        self.tz = office_timezone(ws.profile)
        self.locales = {lang: Locale.parse(lang) for lang in i18n.WORDS}

    def formatter(self, lang: str) -> Formatter:
        return Formatter(lang, self.tz, self.locales[lang])

    def render(self, template: str, /, **context) -> str:
        return self.env.get_template(template).render(office=self.office, **context)

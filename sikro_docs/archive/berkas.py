"""What a berkas is: its number, folder, metadata, and how that metadata reads in bag-info.txt.

bag-info.txt holds everything needed to rebuild the index (labels below);
never the full NIK: it is protected personal data, so only a masked form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from .. import clock
from ..models import Application
from ..workspace import Workspace
from .bags import VERSION_KEY, BagContent, safe_name
from .retention import STAGE_ACTIVE, retention_dates, rule_for

DEFAULT_CLASSIFICATION = "500.16.7.2"
LOCATION_PARTS = ("room", "cabinet", "shelf", "box", "folder")
# How a location reads, part by part ("Ruang Arsip 1, Lemari 2, Rak 3, Boks 12, Map 4").
LOCATION_WORDS = {"room": "", "cabinet": "Lemari", "shelf": "Rak", "box": "Boks", "folder": "Map"}

# bag-info.txt labels; the standard BagIt ones first (RFC 8493 §2.2.2).
LABELS = {
    "berkas_number": "External-Identifier",
    "title": "External-Description",
    "registration_number": "Sikro-Registration-Number",
    "classification": "Sikro-Classification",
    "name": "Sikro-Applicant-Name",
    "nik_masked": "Sikro-NIK-Masked",
    "workplace": "Sikro-Workplace",
    "date_start": "Sikro-Date-Start",
    "date_end": "Sikro-Date-End",
    "active_until": "Sikro-Retention-Active-Until",
    "inactive_until": "Sikro-Retention-Inactive-Until",
    "final_fate": "Sikro-Final-Fate",
    "stage": "Sikro-Stage",
}
DOCUMENT_LABEL = "Sikro-Document-Number"
RETENTION_LABEL = "Sikro-Retention-Code"
LOCATION_LABELS = {part: f"Sikro-Location-{part.capitalize()}" for part in LOCATION_PARTS}
DATE_FIELDS = ("date_start", "date_end", "active_until", "inactive_until")


def mask_nik(nik: str) -> str:
    """Region code and serial stay (they help a clerk tell people apart); the birth date goes."""
    digits = "".join(ch for ch in str(nik or "") if ch.isdigit())
    if len(digits) != 16:
        return "*" * 16
    return digits[:6] + "******" + digits[12:]


def berkas_number_for(registration_number: str) -> str:
    return safe_name(registration_number, fallback="berkas")


def classification_of(ws: Workspace, ptype=None) -> str:
    """The office's [archive] classification, else the permit type's, else the registrasi register's."""
    archive = ws.profile.get("archive", {})
    registrasi = ws.profile.get("registers", {}).get("registrasi", {})
    own = getattr(ptype, "classification", "") if ptype is not None else ""
    return archive.get("classification") or own or registrasi.get("classification") or DEFAULT_CLASSIFICATION


def retention_of(ws: Workspace, ptype, classification: str) -> str:
    """The retention schedule entry (data/retention.toml) of a type's case files; "" = its classification."""
    if ws.profile.get("archive", {}).get("classification") or ptype is None:
        return ""
    code = getattr(ptype, "retention", "") or ""
    return "" if code == classification else code


def place_of(ptype, app: Application) -> str:
    """Where the holder works: the type's place fields (`[documents.tempat]`, else its rules' place field)."""
    if ptype is None:
        return ""
    from ..numbering import place_fields

    facts = app.facts or {}
    return ", ".join(str(facts[key]) for key in place_fields(ptype) if key and facts.get(key) not in (None, ""))


@dataclass
class BerkasMeta:
    berkas_number: str
    registration_number: str
    classification: str
    title: str
    name: str
    nik_masked: str
    workplace: str
    date_start: dt.date
    date_end: dt.date
    active_until: dt.date
    inactive_until: dt.date
    final_fate: str
    stage: str = STAGE_ACTIVE
    document_numbers: list[str] = field(default_factory=list)
    location: dict[str, str] | None = None
    application_id: int | None = None
    retention: str = ""  # the retention schedule entry when it is not the classification itself

    @property
    def retention_code(self) -> str:
        return self.retention or self.classification

    @property
    def year(self) -> int:
        return self.date_start.year

    @property
    def rel_path(self) -> str:
        return f"{self.year}/{safe_name(self.classification)}/{self.berkas_number}"

    def with_document(self, number: str | None, on: dt.date | None) -> BerkasMeta:
        """The metadata once a document (numbered `number`, dated `on`) is in the berkas."""
        numbers = list(self.document_numbers)
        if number and number not in numbers:
            numbers.append(number)
        end = max(self.date_end, on) if on else self.date_end
        active, inactive, fate = retention_dates(self.retention_code, end)
        return replace(self, document_numbers=numbers, date_end=end, active_until=active,
                       inactive_until=inactive, final_fate=fate)

    def to_info(self, ws_profile: dict, version: str) -> list[tuple[str, str]]:
        office = ws_profile.get("office", {})
        rule = rule_for(self.retention_code)
        info = [
            ("Source-Organization", office.get("short_name", "")),
            ("Bagging-Date", clock.today(ws_profile).isoformat()),
            ("Bag-Software-Agent", "sikro-docs (https://pypi.org/project/bagit/ compatible)"),
        ]
        for attr, label in LABELS.items():
            value = getattr(self, attr)
            info.append((label, value.isoformat() if isinstance(value, dt.date) else str(value)))
        if self.retention:  # only when it differs from the classification: older bags read the same
            info.append((RETENTION_LABEL, self.retention))
        info += [(DOCUMENT_LABEL, number) for number in self.document_numbers]
        info.append(("Sikro-Retention-Rule", f"{rule.code or 'default'} {rule.description}: "
                     f"{rule.active_years} tahun aktif, {rule.inactive_years} tahun inaktif, {rule.fate}"))
        for part in LOCATION_PARTS:
            if self.location:
                info.append((LOCATION_LABELS[part], self.location.get(part, "")))
        info.append((VERSION_KEY, version))
        return info

    @classmethod
    def from_bag(cls, content: BagContent) -> BerkasMeta:
        values = {attr: content.get(label) for attr, label in LABELS.items()}
        for name in DATE_FIELDS:
            values[name] = _date(values[name])
        location = {part: content.get(LOCATION_LABELS[part]) for part in LOCATION_PARTS}
        return cls(**values, document_numbers=content.get_all(DOCUMENT_LABEL),
                   location=location if any(location.values()) else None,
                   retention=content.get(RETENTION_LABEL) or "")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return dt.date(1970, 1, 1)  # unreadable in the bag: shows as an odd date, never crashes reindex


def meta_for_application(ws: Workspace, app: Application) -> BerkasMeta:
    """A new berkas for an application (retention counted from its date until more is filed).

    Its title, classification, retention and place come from the application's permit type.
    """
    from .. import permit_types

    ptype = permit_types.catalogue(ws).find(app.permit_type) if app.permit_type else None
    code = classification_of(ws, ptype)
    retention = retention_of(ws, ptype, code)
    start = app.application_date
    active, inactive, fate = retention_dates(retention or code, start)
    what = ptype.short_name if ptype is not None else app.permit_type
    return BerkasMeta(
        berkas_number=berkas_number_for(app.registration_number),
        registration_number=app.registration_number, classification=code,
        title=f"Permohonan {what} a.n. {app.name}", name=app.name, nik_masked=mask_nik(app.nik),
        workplace=place_of(ptype, app), date_start=start, date_end=start,
        active_until=active, inactive_until=inactive, final_fate=fate, application_id=app.id,
        retention=retention,
    )


def location_line(location: dict[str, str] | None) -> str:
    if not location or not any(location.values()):
        return "location of the paper original not recorded (sikro archive place)"
    parts = []
    for part in LOCATION_PARTS:
        value = (location.get(part) or "").strip()
        if value:
            word = LOCATION_WORDS[part]
            parts.append(value if not word or value.lower().startswith(word.lower()) else f"{word} {value}")
    return ", ".join(parts)

"""Filling a register's number pattern ({nomor}/{klasifikasi}/.../{tahun}) and a document's fields."""

from __future__ import annotations

from ..models import Application

# Placeholders a register's number pattern may use (documented in profile.toml).
PLACEHOLDERS = ("nomor", "klasifikasi", "unit", "bulan_romawi", "bulan", "tahun", "izin")


# Running numbers restart every year, so a number without its year would repeat.
REQUIRED_PLACEHOLDERS = ("nomor", "tahun")


ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


class _Keep(dict):
    def __missing__(self, key):  # an unknown placeholder stays as written
        return "{" + key + "}"


def placeholder_values(application, ws=None) -> dict[str, str]:
    """{nama} {registrasi} {izin} {tempat} {alamat} {kota} of an application (an Application row or
    the dict registry.describe gives): what subjects, addressees, hal and kepada may say."""
    from .. import permit_types

    def get(name):
        if application is None:
            return None
        if isinstance(application, dict):
            return application.get(name)
        return getattr(application, name, None)

    facts = (application.facts or {}) if isinstance(application, Application) else (application or {})
    code = get("permit_type")
    ptype = permit_types.get(ws, code) if code else permit_types.default(ws)
    place = place_fields(ptype)
    profile = getattr(ws, "profile", None) or {}
    return {
        "nama": get("name") or "",
        "registrasi": get("registration_number") or "",
        "izin": ptype.short_name,
        "tempat": str(facts.get(place[0]) or "") if place[0] else "",
        "alamat": get("address") or "",
        "kota": profile.get("office", {}).get("city", ""),
    }


def place_fields(ptype) -> tuple[str | None, str | None]:
    """Storage keys of the type's place (its name, its address): `[documents.tempat]` of its data,
    else its rule's place field."""
    said = ptype.documents.get("tempat", {}) if isinstance(ptype.documents.get("tempat"), dict) else {}
    by_name = ptype.by_name

    def key(name):
        return by_name[name].storage_key if name in by_name else None

    return key(said.get("nama") or ptype.rules.place_field), key(said.get("alamat"))


def fill_placeholders(template: str, application=None, ws=None, values: dict | None = None) -> str:
    """The ONE filler of subject, addressee, hal and kepada (numbering, batch and documents)."""
    if not template:
        return ""
    if values is None:
        if application is None:
            return template
        values = placeholder_values(application, ws)
    return template.format_map(_Keep(values))

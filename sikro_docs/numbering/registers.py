"""Which registers an office keeps (profile, permit types) and the register a document draws from."""

from __future__ import annotations

import datetime as dt
import string

from sqlalchemy.orm import Session

from ..errors import SikroError
from ..models import Application
from .kinds import DocumentKind
from .placeholders import PLACEHOLDERS, REQUIRED_PLACEHOLDERS, ROMAN_MONTHS


def _builtin_registers() -> dict:
    from ..workspace import default_section

    return default_section("registers")


def registers_mode(profile: dict) -> str:
    mode = (profile or {}).get("permit_types", {}).get("registers", "per-type")
    if mode not in ("per-type", "shared"):
        raise SikroError(f'profile [permit_types] registers must be "per-type" or "shared", not {mode!r}')
    return mode


def permit_register(ws, ptype) -> str:
    """The register a permit of `ptype` is numbered from: its own ("per-type"), or `izin` ("shared")."""
    return ptype.register if registers_mode(getattr(ws, "profile", {}) or {}) == "per-type" else SHARED_REGISTER


SHARED_REGISTER = "izin"


def type_registers(ws) -> dict[str, dict]:
    """The registers the permit types define (title, pattern, classification), per-type mode only."""
    from .. import permit_types

    profile = getattr(ws, "profile", None) or {}
    if registers_mode(profile) != "per-type":
        return {}
    out: dict[str, dict] = {}
    for ptype in permit_types.catalogue(ws).types.values():
        out.setdefault(ptype.register, {"title": ptype.register_title, "pattern": ptype.pattern,
                                        "classification": ptype.classification, "permit_type": ptype.code})
    return out


def all_registers(ws) -> dict[str, dict]:
    """Every register of the workspace: its profile's, then those the types define, then the built-in
    profile's (a register added to the tool after the workspace was made: `keputusan`)."""
    profile = getattr(ws, "profile", None) if not isinstance(ws, dict) else ws
    profile = profile or {}
    registers = dict(profile.get("registers", {}))
    if not isinstance(ws, dict):
        for name, settings in type_registers(ws).items():
            registers.setdefault(name, settings)
    for name, settings in _builtin_registers().items():
        registers.setdefault(name, settings)
    return registers


def register_settings(profile_or_ws, register: str) -> dict:
    """A register's settings. Given a Workspace, the permit types' registers count too."""
    registers = all_registers(profile_or_ws)
    if register not in registers:
        if isinstance(profile_or_ws, dict) or registers_mode(profile_or_ws.profile) == "shared":
            where = "the office profile" if register != SHARED_REGISTER else \
                'the office profile (needed by [permit_types] registers = "shared")'
        else:
            where = "the office profile and the permit types"
        raise SikroError(f"unknown register {register!r}; {where} define: {', '.join(registers)}")
    return registers[register]


def _parse_pattern(register: str, pattern: str) -> list[tuple[str, str | None, str]]:
    """(literal, placeholder, format spec) parts; a clear SikroError for anything unusable."""
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise SikroError(f"register {register}: number pattern {pattern!r} is malformed: {exc}") from None
    used = []
    for _literal, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            raise SikroError(
                f"register {register}: unknown placeholder {{{field}}} in number pattern "
                f"{pattern!r}; known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
            )
        if conversion or "{" in (spec or ""):
            raise SikroError(f"register {register}: placeholder {{{field}}} uses an unsupported format in {pattern!r}")
        used.append(field)
    for required in REQUIRED_PLACEHOLDERS:
        if required not in used:
            raise SikroError(
                f"register {register}: number pattern {pattern!r} lacks {{{required}}} "
                "(numbers restart every year, so each number needs its running number and year)"
            )
    return [(literal, field, spec or "") for literal, field, spec, _ in parts]


def _short_name(ws, session: Session, application_id: int | None) -> str:
    """The short name of an application's permit type ("" without one, or for a type gone)."""
    from .. import permit_types

    app = session.get(Application, application_id) if application_id is not None else None
    ptype = permit_types.catalogue(ws).find(app.permit_type) if app is not None else None
    return ptype.short_name if ptype else ""


def format_number(ws_or_profile, register: str, seq: int, on: dt.date, izin: str = "") -> str:
    """The number `seq` of `register` for a document dated `on`, per the office's pattern
    (a Workspace: the permit types' registers count too); `izin`: the short name of the
    application's permit type, for a register shared by every type (the registration numbers)."""
    settings = register_settings(ws_or_profile, register)
    ws_profile = ws_or_profile if isinstance(ws_or_profile, dict) else ws_or_profile.profile
    pattern = settings.get("pattern") or ""
    values = {
        "nomor": seq,
        "klasifikasi": settings.get("classification", ""),
        "unit": ws_profile.get("office", {}).get("unit_code", ""),
        "bulan_romawi": ROMAN_MONTHS[on.month - 1],
        "bulan": on.month,
        "tahun": on.year,
        "izin": izin,
    }
    out = []
    for literal, field, spec in _parse_pattern(register, pattern):
        out.append(literal)
        if field is None:
            continue
        try:
            out.append(format(values[field], spec))
        except (ValueError, TypeError) as exc:
            raise SikroError(
                f"register {register}: placeholder {{{field}:{spec}}} cannot be formatted: {exc}"
            ) from None
    return "".join(out)


def register_for(ws, spec: DocumentKind, application: Application) -> str | None:
    """The register `spec` numbers this application's document from (a permit: its type's)."""
    if not spec.type_register:
        return spec.register
    from .. import permit_types

    return permit_register(ws, permit_types.get(ws, application.permit_type))

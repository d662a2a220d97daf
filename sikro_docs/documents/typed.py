"""What a document says of the application's permit type: `izin`, `data`, `rincian`, `tempat`.

Nothing here knows a permit type: the title, legal basis, fields, the rows the permit
prints and the variables older templates use (`[documents.variables]` of a type's
permit-type.toml: variable -> field) all come from the type's data.

    izin      judul, nama, singkatan, profesi, dasar_hukum, untuk, jenis_permohonan,
              nomor_sebelumnya, tanggal_sebelumnya, menggantikan ("menggantikan ... Nomor ...")
    data      every field of the type by name, as printed (dates in Indonesian, "Seumur Hidup")
    rincian   the type's permit rows: [{label, nilai}]
    tempat    the place of practice: label, nama, alamat, lengkap
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .. import permit_types
from ..permit_types import model as m
from . import formatting as fmt

LIFETIME = "Seumur Hidup"
# Application columns of the shared fields that registry.describe does not name by field name.
DESCRIBED_AS = {"no_registrasi": "registration_number", "jenis_izin": "permit_type",
                "jenis_permohonan": "application_kind", "nomor_izin_sebelumnya": "previous_number",
                "tanggal_izin_sebelumnya": "previous_date"}
GENDER = {"L": "Laki-laki", "P": "Perempuan"}


def type_of(ws, application: dict) -> m.PermitType:
    code = application.get("permit_type")
    return permit_types.get(ws, code) if code else permit_types.default(ws)


def _column(fld: m.Field) -> str:
    from ..registry import FIELD_COLUMNS

    return DESCRIBED_AS.get(fld.name) or FIELD_COLUMNS.get(fld.name) or fld.storage_key


def raw_value(application: dict, fld: m.Field) -> Any:
    """A field's value in a registry.describe dict (the type's facts are flattened in by storage key)."""
    if fld.group == m.CHECKLIST_GROUP:
        return bool((application.get("checklist") or {}).get(fld.name, False))
    if fld.storage_key in application and fld.group == m.PERMIT:
        return application.get(fld.storage_key)
    return application.get(_column(fld))


def typed_values(ptype: m.PermitType, application: dict) -> dict[str, Any]:
    """The values by field name, dates as dates (what validity rules and conditions read)."""
    out: dict[str, Any] = {}
    for fld in ptype.fields:
        value = raw_value(application, fld)
        if fld.kind in (m.DATE, m.DATE_OR_LIFETIME) and value not in (None, ""):
            try:
                value = fmt.as_date(value)
            except ValueError:
                pass
        out[fld.name] = value
    return out


def shown(fld: m.Field, value: Any, catalogue=None) -> str:
    """A field's value as a document prints it."""
    if fld.kind == m.DATE_OR_LIFETIME and value in (None, ""):
        return LIFETIME
    if value is None or value == "":
        return ""
    if fld.kind in (m.DATE, m.DATE_OR_LIFETIME):
        try:
            return fmt.tanggal(value)
        except ValueError:
            return str(value)
    if fld.kind == m.YES_NO:
        return "Ada" if value else "Tidak ada"
    if fld.kind == m.GENDER:
        return GENDER.get(str(value), str(value))
    if fld.kind == m.APPLICATION_KIND:
        return _kind_title(str(value))
    if fld.kind == m.PERMIT_TYPE and catalogue is not None:
        found = catalogue.find(str(value))
        return found.title if found else str(value)
    if fld.kind == m.NUMBER and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _kind_title(code: str) -> str:
    for kind in permit_types.common().kinds:
        if kind.code == code:
            return kind.title
    return code


def data_context(ws, ptype: m.PermitType, application: dict) -> dict[str, str]:
    catalogue = permit_types.catalogue(ws)
    return {fld.name: shown(fld, raw_value(application, fld), catalogue) for fld in ptype.fields}


def rincian(ptype: m.PermitType, data: dict[str, str]) -> list[dict]:
    return [{"label": label, "nilai": data.get(field, "")} for label, field in ptype.permit_rows]


def place_context(ptype: m.PermitType, data: dict[str, str]) -> dict[str, str]:
    said = ptype.documents.get("tempat") if isinstance(ptype.documents.get("tempat"), dict) else {}
    name_field = said.get("nama") or ptype.rules.place_field
    address_field = said.get("alamat")
    by_name = ptype.by_name
    nama = data.get(name_field, "") if name_field else ""
    alamat = data.get(address_field, "") if address_field else ""
    label = said.get("label") or (by_name[name_field].shown_label if name_field in by_name else "Tempat")
    return {"label": label, "nama": nama, "alamat": alamat, "lengkap": ", ".join(p for p in (nama, alamat) if p)}


def permit_context(ptype: m.PermitType, application: dict, kind_judul: str | None = None) -> dict[str, Any]:
    """`izin`: the type's words and the application kind's (a renewal names what it replaces)."""
    code = application.get("application_kind") or "baru"
    kind = next((k for k in permit_types.common().kinds if k.code == code), permit_types.common().kinds[0])
    previous = str(application.get("previous_number") or "")
    previous_date = fmt.tanggal(application.get("previous_date")) if application.get("previous_date") else ""
    replaces = ""
    if kind.effect == "replace" and previous:
        replaces = f"Surat Izin ini menggantikan {ptype.title} Nomor {previous}"
        replaces += f" tanggal {previous_date}." if previous_date else "."
    return {
        "kode": ptype.code,
        "judul": kind_judul or ptype.title.upper(),
        "nama": ptype.title,
        "singkatan": ptype.short_name,
        "profesi": ptype.profession,
        "dasar_hukum": list(ptype.legal_basis),
        "untuk": ptype.wording.get("izin_untuk", f"menjalankan praktik sebagai {ptype.profession}"),
        "jenis_permohonan": kind.title,
        "kode_permohonan": kind.code,
        "nomor_sebelumnya": previous,
        "tanggal_sebelumnya": previous_date,
        "menggantikan": replaces,
        # under the permit's title for anything but a new one: "PERPANJANGAN", "PERUBAHAN"
        "keterangan": kind.title.upper() if kind.code != permit_types.common().kinds[0].code else "",
    }


def type_variables(ptype: m.PermitType) -> dict[str, str]:
    """`[documents.variables]` of the type: template variable -> field name."""
    table = ptype.documents.get("variables")
    return dict(table) if isinstance(table, dict) else {}


def apply_variables(context: dict, ptype: m.PermitType, data: dict[str, str]) -> None:
    """Put each of the type's own variables ("pemohon.nomor_str") into the context, from its field."""
    for variable, field_name in type_variables(ptype).items():
        *parents, leaf = variable.split(".")
        node = context
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = data.get(field_name, "")


def declared_for_type(ptype: m.PermitType) -> list[str]:
    """The variables a document of `ptype` provides beyond its kind's: data.<field>, the type's own."""
    return [f"data.{fld.name}" for fld in ptype.fields] + list(type_variables(ptype))


def valid_until(ptype: m.PermitType, issued: dt.date, application: dict) -> dt.date | None:
    """The type's validity rule for a permit issued on `issued` (None: for life)."""
    return ptype.validity.until(issued, typed_values(ptype, application))

"""The JSON Schema (draft 2020-12) of a permit type's JSON input, built from the type's fields.

schema.json in this package is the default type's, written out for people
and other tools; a test keeps the two identical. Regenerate it with

    python -c "from sikro_docs.intake.schema import schema_text; print(schema_text(), end='')" \
        > sikro_docs/intake/schema.json
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from .. import permit_types
from . import columns as c
from .validate import EFFECT_FIELDS

SCHEMA_BASE = "https://sikro-docs.example/schemas"
ISO_DATE = {"type": "string", "format": "date"}

_KIND_SCHEMAS: dict[str, dict[str, Any]] = {
    c.TEXT: {"type": "string", "minLength": 1},
    c.NAME: {"type": "string", "minLength": 1},
    c.CODE: {"type": "string", "minLength": 1},
    c.DATE: ISO_DATE,
    c.DATE_OR_LIFETIME: {"anyOf": [ISO_DATE, {"const": "Seumur Hidup"}]},
    c.NIK: {"type": "string", "pattern": "^[0-9]{16}$"},
    c.GENDER: {"enum": ["L", "P"]},
    c.PHONE: {"type": "string", "pattern": "^(\\+62|62|0)[0-9 ()-]{8,16}$"},
    c.EMAIL: {"type": "string", "format": "email"},
    c.YES_NO: {"type": "boolean"},
    c.DECISION: {"enum": ["Disetujui", "Ditolak"]},
}


def _kind_schema(fld: c.Field, permit_type) -> dict[str, Any]:
    if fld.kind == c.CHOICE:
        return {"enum": list(fld.choices)}
    if fld.kind == c.NUMBER:
        bounds = {"minimum": fld.minimum, "maximum": fld.maximum}
        return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}
    if fld.kind == c.PERMIT_TYPE:
        return {"enum": list(dict.fromkeys([permit_type.code, permit_type.short_name, permit_type.title]))}
    if fld.kind == c.APPLICATION_KIND:
        kinds = permit_types.common().kinds
        return {"enum": [k.title for k in kinds] + [k.code for k in kinds if k.code != k.title]}
    schema = dict(_KIND_SCHEMAS[fld.kind])
    if fld.pattern and fld.kind in (c.TEXT, c.NAME, c.CODE):
        schema["pattern"] = f"^(?:{fld.pattern})$"
    return schema


def _property(fld: c.Field, permit_type, nullable: bool | None = None) -> dict[str, Any]:
    schema = _kind_schema(fld, permit_type)
    if fld.max_length:
        schema["maxLength"] = fld.max_length
    if not fld.required if nullable is None else nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {"title": fld.header, "description": fld.help, **schema}


def _kind_rules(permit_type) -> list[dict[str, Any]]:
    """What each application kind demands: the previous permit's number; the papers WAJIB in it
    whatever the record says (papers under a condition or dates are checked by the reader)."""
    rules = []
    for kind in permit_types.common().kinds:
        names = [kind.title, kind.code]
        when = {"properties": {"jenis_permohonan": {"enum": names}}, "required": ["jenis_permohonan"]}
        if kind is permit_types.common().kinds[0]:  # blank means this kind
            when = {"anyOf": [when, {"not": {"required": ["jenis_permohonan"]}},
                              {"properties": {"jenis_permohonan": {"type": "null"}}}]}
        demands: dict[str, Any] = {"required": [], "properties": {}}
        for name in (["nomor_izin_sebelumnya"] if kind.needs_previous else []) + list(EFFECT_FIELDS.get(kind.effect, ())):
            demands["required"].append(name)
            demands["properties"][name] = {"type": "string", "minLength": 1}
        wajib = [i.name for i in permit_type.checklist(kind.code)
                 if i.required and i.when is None and i.applies_from is None and i.applies_until is None]
        if wajib:
            demands["required"].append("berkas")
            demands["properties"]["berkas"] = {
                "required": wajib, "properties": {name: {"type": "boolean"} for name in wajib}}
        if demands["required"]:
            rules.append({"if": when, "then": demands})
    return rules


def build_schema(permit_type=None) -> dict[str, Any]:
    """The JSON Schema of one permit type's records (default: the default type)."""
    permit_type = permit_type or permit_types.default()
    fields = c.workbook_fields(permit_type)
    kind = next((f for f in permit_type.fields if f.kind == c.PERMIT_TYPE), None)
    record_fields = ([kind] if kind else []) + [f for f in fields if f.group != c.CHECKLIST_GROUP]
    checklist = [f for f in fields if f.group == c.CHECKLIST_GROUP]
    berkas = {
        "type": "object",
        "title": "Kelengkapan berkas",
        "description": "true bila dokumen ada (Y), false bila tidak ada (T); berkas yang tidak wajib untuk "
                       "jenis permohonan itu boleh tidak diisi (berarti tidak ada).",
        "properties": {f.name: _property(f, permit_type, nullable=True) for f in checklist},
    }
    record = {
        "type": "object",
        "properties": {**{f.name: _property(f, permit_type) for f in record_fields}, "berkas": berkas},
        "required": [f.name for f in record_fields if f.required] + ["berkas"],
        "allOf": [{
            "if": {"properties": {"keputusan": {"const": "Ditolak"}}, "required": ["keputusan"]},
            "then": {"properties": {"alasan_penolakan": {"type": "string", "minLength": 1}},
                     "required": ["alasan_penolakan"]},
        }, *_kind_rules(permit_type)],
        "additionalProperties": True,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/permohonan-{permit_type.code}.json",
        "title": f"Daftar permohonan {permit_type.short_name} ({permit_type.title})",
        "description": "A list of applications, one object per applicant; unknown keys are ignored.",
        "type": "array",
        "items": record,
    }


def load_schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text("utf-8"))


def schema_text() -> str:
    return json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n"

"""The JSON Schema (draft 2020-12) of the JSON input, built from the column spec.

schema.json in this package is the same document, written out for people
and other tools; a test keeps the two identical. Regenerate it with

    python -c "from sikro_docs.intake.schema import schema_text; print(schema_text(), end='')" \
        > sikro_docs/intake/schema.json
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from . import columns as c

SCHEMA_ID = "https://sikro-docs.example/schemas/permohonan.json"
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


def _property(fld: c.Field) -> dict[str, Any]:
    schema = dict(_KIND_SCHEMAS[fld.kind])
    if fld.max_length:
        schema["maxLength"] = fld.max_length
    if not fld.required:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return {"title": fld.header, "description": fld.help, **schema}


def build_schema() -> dict[str, Any]:
    record_fields = [f for f in c.FIELDS if f.group != c.CHECKLIST_GROUP]
    berkas = {
        "type": "object",
        "title": "Kelengkapan berkas",
        "description": "true bila dokumen ada (Y), false bila tidak ada (T).",
        "properties": {f.name: _property(f) for f in c.CHECKLIST},
        "required": [f.name for f in c.CHECKLIST],
    }
    record = {
        "type": "object",
        "properties": {**{f.name: _property(f) for f in record_fields}, "berkas": berkas},
        "required": [f.name for f in record_fields if f.required] + ["berkas"],
        "allOf": [{
            "if": {"properties": {"keputusan": {"const": "Ditolak"}}, "required": ["keputusan"]},
            "then": {"properties": {"alasan_penolakan": {"type": "string", "minLength": 1}},
                     "required": ["alasan_penolakan"]},
        }],
        "additionalProperties": True,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Daftar permohonan SIKRO",
        "description": "A list of applications, one object per applicant; unknown keys are ignored.",
        "type": "array",
        "items": record,
    }


def load_schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text("utf-8"))


def schema_text() -> str:
    return json.dumps(build_schema(), ensure_ascii=False, indent=2) + "\n"

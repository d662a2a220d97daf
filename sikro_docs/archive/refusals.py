"""What a person may ask of the archive and be refused: an unknown or ambiguous number, a
location given in part, a box or a berkas with nothing in it yet.

Each refusal has a stable code and its values (errors.CodedError): the CLI prints the English
below, the staff console words the code in Bahasa Indonesia (area_archive).
"""

from __future__ import annotations

from ..errors import CodedError


class UnknownArchiveRef(CodedError):
    code = "archive.unknown-ref"
    message = "no application, document or berkas has the number {ref!r}"


class AmbiguousArchiveRef(CodedError):
    code = "archive.ambiguous-ref"
    message = "{ref} names more than one document; give the registration number instead"


class LocationIncomplete(CodedError):
    code = "archive.location-incomplete"
    message = "give every part of the location; missing: {flags}"  # flags: "--room, --shelf"


class BerkasEmpty(CodedError):
    code = "archive.berkas-empty"
    message = "{ref}: berkas {berkas} has nothing in the archive yet"


class BoxEmpty(CodedError):
    code = "archive.box-empty"
    message = "box {box!r} holds no berkas yet (record them with: sikro archive place)"

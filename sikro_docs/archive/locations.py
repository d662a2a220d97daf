"""Where the paper original of a berkas sits: room, cabinet, shelf, box, folder.

The location is written into the bag (bag-info.txt) with a PREMIS
"location change" event, so it survives the loss of the database.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from .. import db
from ..workspace import Workspace
from .berkas import LOCATION_PARTS, BerkasMeta, location_line
from .events import LOCATION_CHANGE, new_event
from .filing import file_into, meta_for_ref, recover
from .refusals import BerkasEmpty, LocationIncomplete
from .tables import Berkas, Location


def place(ws: Workspace, ref: str, location: dict[str, str], *, agent: str = "sikro-docs") -> BerkasMeta:
    cleaned = {part: " ".join(str(location.get(part) or "").split()) for part in LOCATION_PARTS}
    empty = [part for part, value in cleaned.items() if not value]
    if empty:
        raise LocationIncomplete(flags=", ".join("--" + p for p in empty), missing=tuple(empty))
    meta, _document = meta_for_ref(ws, ref)
    event = new_event(LOCATION_CHANGE, agent=agent, objects=["paper original"],
                      previous=meta.location, location=cleaned)
    file_into(ws, meta, [], agent=agent, events=[event], update=lambda m: replace(m, location=cleaned))
    return replace(meta, location=cleaned)


def locate(ws: Workspace, ref: str) -> tuple[Berkas, dict[str, str] | None]:
    """The berkas REF names and where its paper original is (None: not recorded)."""
    recover(ws)
    with db.session(ws) as session:
        berkas = find_berkas(session, ref)
        if berkas is None:
            meta, _ = meta_for_ref(ws, ref)  # a clear "nothing has this number" when it is unknown
            raise BerkasEmpty(ref=ref, berkas=meta.berkas_number)
        row = session.get(Location, berkas.id)
        return berkas, ({p: getattr(row, p) for p in LOCATION_PARTS} if row else None)


def find_berkas(session, ref: str) -> Berkas | None:
    """The berkas a registration, berkas or document number names, from the archive index first."""
    from ..numbering import Document
    from .berkas import berkas_number_for
    from .retention import STAGE_DISPOSED
    from .tables import ArchiveFile

    ref = ref.strip()
    if not ref:
        return None
    berkas = session.scalars(select(Berkas).where(
        (Berkas.registration_number == ref) | (Berkas.berkas_number == ref)
        | (Berkas.berkas_number == berkas_number_for(ref)))).first()
    if berkas is not None:
        return berkas
    # a document number: the berkas that holds it (works without the registry, from the bags' index)
    berkas_id = session.scalar(select(ArchiveFile.berkas_id).where(ArchiveFile.document_number == ref).limit(1))
    if berkas_id is not None:
        return session.get(Berkas, berkas_id)
    # a document whose files were deleted (dispose --delete-files): its number stays in the berkas's metadata
    for berkas in session.scalars(select(Berkas).where(Berkas.stage == STAGE_DISPOSED)):
        if ref in (berkas.document_numbers or []):
            return berkas
    document = session.scalars(select(Document).where(Document.number == ref)).first()
    if document is None:
        return None
    return session.scalars(select(Berkas).where(Berkas.application_id == document.application_id)).first()


def locate_line(berkas: Berkas, location: dict[str, str] | None) -> str:
    return f"{berkas.registration_number}: {location_line(location)}"


def box_contents(ws: Workspace, box: str) -> list[tuple[Berkas, Location]]:
    with db.session(ws) as session:
        rows = session.execute(select(Berkas, Location).join(Location, Location.berkas_id == Berkas.id)
                               .where(Location.box == box)).all()
    return sorted(((b, loc) for b, loc in rows), key=lambda pair: _folder_key(pair[1].folder))


def _folder_key(folder: str):
    return (0, int(folder), "") if folder.isdigit() else (1, 0, folder)

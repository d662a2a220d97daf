"""What an archive box holds: the page a box label's QR opens (`/A/BOX/<box>`), staff only."""

from __future__ import annotations

from ..archive.index import kurun_waktu
from ..archive.locations import box_contents

# Location.box is at most 100 characters: a longer "box" is not looked up.
MAX_BOX_CHARS = 100


def box_folders(ws, box: str) -> list[dict]:
    """The folders of `box` as plain values, in folder order; [] for a box that holds nothing."""
    if not box or len(box) > MAX_BOX_CHARS:
        return []
    return [{"folder": loc.folder, "berkas_number": berkas.berkas_number, "name": berkas.name,
             "workplace": berkas.workplace, "kurun": kurun_waktu(berkas.date_start, berkas.date_end),
             "stage": berkas.stage, "room": loc.room, "cabinet": loc.cabinet, "shelf": loc.shelf}
            for berkas, loc in box_contents(ws, box)]


def _place(folder: dict) -> tuple[str, str, str]:
    return folder["room"], folder["cabinet"], folder["shelf"]


def box_view(box: str, folders: list[dict], t: dict) -> dict:
    """What box.html shows: where the box sits (each place its folders are recorded in) and each folder."""
    places = list(dict.fromkeys(_place(f) for f in folders))
    where = [[(t["field_room"], room), (t["field_cabinet"], cabinet), (t["field_shelf"], shelf)]
             for room, cabinet, shelf in places]
    shown = []
    for folder in folders:
        rows = [
            (t["field_berkas_number"], folder["berkas_number"]),
            (t["field_applicant"], folder["name"]),
            (t["field_workplace"], folder["workplace"]),
            (t["field_kurun_waktu"], folder["kurun"]),
            (t["field_stage"], t.get(f"stage_{folder['stage']}", folder["stage"])),
        ]
        if len(places) > 1:  # folders of one box recorded in different places: say where each one is
            rows.append((t["field_place"], ", ".join(_place(folder))))
        shown.append((t["folder_heading"].format(folder=folder["folder"]), [(k, v) for k, v in rows if v]))
    return {"heading": t["box_heading"].format(box=box), "summary": t["box_summary"].format(count=len(folders)),
            "where": where, "folders": shown}

"""`sikro permit-types new CODE --from CODE`: a copy of a type for the office to edit.

    folder = new_type(ws, "sipp", "sipb")   # <workspace>/permit-types/sipp/

The copy is the source type's folder (its permit-type.toml, comments and all, and
its templates/) with `code` set to CODE, its title and short name marked
"(salinan)", its own register (`izin-CODE`) and its number pattern naming CODE:
a new type never numbers from another type's register. Written into a temporary
folder and moved into place, so a failed copy leaves nothing behind.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import tomllib
from pathlib import Path

from ..errors import EXIT_UNUSABLE, SikroError
from . import model as m
from .loader import _CODE, TYPE_FILE, PermitTypeError, builtin_root, load_catalogue, read_type_dir, workspace_root

COPY_MARK = "(salinan)"


class TypeFolderExists(SikroError):
    exit_code = EXIT_UNUSABLE
    code = "permit_type_exists"

    def __init__(self, folder: Path):
        self.folder = folder
        super().__init__(f"{folder} already exists: edit it, or choose another code")


class BadTypeCode(SikroError):
    exit_code = EXIT_UNUSABLE
    code = "bad_permit_type_code"

    def __init__(self, given: str):
        self.given = given
        super().__init__(f'"{given}" cannot be a permit type\'s code: 2-31 lower-case letters, digits, - or _, '
                         "starting with a letter (e.g. sipp)")


def new_type(ws, code: str, source: str) -> Path:
    """Write <workspace>/permit-types/CODE/ as a copy of the type `source`; its folder."""
    if not _CODE.match(code):
        raise BadTypeCode(code)
    original = load_catalogue(ws).get(source)  # UnknownPermitType names the known ones
    target = workspace_root(ws) / code
    if target.exists():
        raise TypeFolderExists(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{code}-", dir=target.parent))
    try:
        copy = staging / code
        shutil.copytree(original.source, copy, ignore=shutil.ignore_patterns("__pycache__", ".*", "~$*"))
        path = copy / TYPE_FILE
        path.write_text(copied_text(path.read_text(encoding="utf-8"), original, code), encoding="utf-8")
        read = read_type_dir(copy)
        if read.problems:  # the source itself is sound, so this is a bug of the copy: say so, write nothing
            raise PermitTypeError(read.problems)
        copy.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def copied_text(text: str, original: m.PermitType, code: str) -> str:
    """The source's permit-type.toml with the copy's code, marked names, own register and pattern."""
    text = set_value(text, None, "code", code)
    text = set_value(text, None, "title", f"{original.title} {COPY_MARK}")
    text = set_value(text, None, "short_name", f"{original.short_name} {COPY_MARK}")
    text = set_value(text, "numbering", "register", f"izin-{code}")
    text = set_value(text, "numbering", "register_title", f"{original.register_title} {COPY_MARK}")
    segment = f"/{original.short_name}/"
    if segment in original.pattern:
        text = set_value(text, "numbering", "pattern", original.pattern.replace(segment, f"/{code.upper()}/"))
    tomllib.loads(text)  # still TOML: the edits are whole lines
    return text


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def set_value(text: str, table: str | None, key: str, value: str) -> str:
    """Set `key = "value"` in `table` (None: the top of the file), keeping every other line as it is."""
    lines = text.split("\n")
    current: str | None = None
    header_at = 0 if table is None else None
    setting = re.compile(rf"^\s*{re.escape(key)}\s*=")
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}"
    for i, raw in enumerate(lines):
        header = _HEADER.match(raw)
        if header:
            if current == table and header_at is not None:
                break  # the table ends without the key: add it below
            current = header.group(1)
            if current == table:
                header_at = i + 1
            continue
        if current == table and setting.match(raw):
            lines[i] = line
            return "\n".join(lines)
    if header_at is None:  # no such table yet
        return text.rstrip("\n") + f"\n\n[{table}]\n{line}\n"
    lines.insert(header_at if table is None else _end_of_table(lines, header_at), line)
    return "\n".join(lines)


def _end_of_table(lines: list[str], start: int) -> int:
    end = start
    while end < len(lines) and not _HEADER.match(lines[end]):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def is_override(permit_type: m.PermitType) -> bool:
    """A workspace type with a built-in type's code (it replaces that type whole)."""
    return not permit_type.builtin and (builtin_root() / permit_type.code / TYPE_FILE).is_file()


def next_steps(folder: Path) -> list[str]:
    """What the office edits next, in the order a person would."""
    file = folder / TYPE_FILE
    return [
        f"edit {file}:",
        f"  title and short_name (now marked {COPY_MARK}), profession, legal_basis",
        "  [numbering] pattern and register_title; [validity] rule; [archive] classification and retention",
        "  [[fields]] (the type's own columns), [[checklist]] and [applications.*] checklists, [qr] fields",
        "  [permit] rows, [documents.*] judul, [wording]; templates/ for the type's own DOCX templates",
        f"then: sikro permit-types check {folder}",
    ]

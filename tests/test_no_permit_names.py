"""No permit type's name or field lives in the package's Python: permit types are data.

The type folders (sikro_docs/data/) and the migrations (which must name the old
columns they move, and how chained states read before them) are the places such names belong. `SIKRO_` environment
variables and the command's name `sikro` are the tool's own name, not a permit's.
"""

from __future__ import annotations

import re
from pathlib import Path

import sikro_docs

PACKAGE = Path(sikro_docs.__file__).resolve().parent
ALLOWED_FOLDERS = (PACKAGE / "data", PACKAGE / "migrations")
# Case-sensitive, as whole words: "SIKRO" but not "SIKRO_WORKSPACE" nor "sikro".
NAMES = ("SIKRO", "Refraksionis", "refraksionis", "no_str", "str_berlaku_sampai", "nama_tempat_kerja",
         "alamat_tempat_kerja", "str_number", "str_valid_until", "workplace_name", "workplace_address")
PATTERN = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, NAMES)) + r")(?![A-Za-z0-9_])")


def python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if not any(p.is_relative_to(folder) for folder in ALLOWED_FOLDERS))


def offending_lines(files, root: Path = PACKAGE.parent) -> list[str]:
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if PATTERN.search(line):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return found


def test_the_pattern_finds_names_as_words_only(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('A = "SIKRO"\nB = row["no_str"]\nC = "SIKRO_WORKSPACE"\nD = "sikro"\n'
                      'E = "no_stra"\nF = "Refraksionis Optisien"\nG = "sikro_docs"\n', encoding="utf-8")
    assert [line.split(":")[1] for line in offending_lines([sample], tmp_path)] == ["1", "2", "6"]


def test_no_permit_type_names_in_the_packages_python():
    found = offending_lines(python_files())
    assert not found, f"{len(found)} lines name a permit type or its fields outside its data:\n" + "\n".join(found)

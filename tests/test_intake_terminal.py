"""Control characters in applicant data never reach the terminal raw (issue 12): `list` and `show`
print them escaped; the stored data and --json keep them as they are."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_intake_support import valid_record

from sikro_docs.cli import main

HOSTILE_NAME = "Rina\x1b[2J\x1b]0;pwned\x07 Sitanggang\u202e"
SHOWN_NAME = "Rina\\x1b[2J\\x1b]0;pwned\\x07 Sitanggang\\u202e"


def run(capsys, *args) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*map(str, args)])
    captured = capsys.readouterr()
    assert exited.value.code == 0, captured.err
    return captured.out


@pytest.fixture
def imported(tmp_path, workspace, capsys):
    record = valid_record(no_registrasi=None, nama=HOSTILE_NAME)
    flat = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in record.items()
            if k not in {"surat_permohonan", "ktp", "str", "ijazah", "surat_keterangan_sehat",
                         "surat_keterangan_tempat_kerja", "rekomendasi_organisasi_profesi", "pas_foto", "npwp"}}
    flat["berkas"] = {k: v == "Y" for k, v in record.items() if v == "Y"}
    path = tmp_path / "permohonan.json"
    path.write_text(json.dumps([flat]))
    run(capsys, "import", path, "--by", "loket\nsatu", "--workspace", workspace.root)
    return ["--workspace", workspace.root]


def test_list_escapes_control_characters(capsys, imported):
    out = run(capsys, "list", *imported)
    assert SHOWN_NAME in out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


def test_show_escapes_control_characters(capsys, imported):
    out = run(capsys, "show", "1211014503910002", *imported)
    assert SHOWN_NAME in out
    assert "loket\\nsatu: " in out  # a newline in the actor does not forge a history line
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out


def test_json_keeps_the_data(capsys, imported):
    listed = json.loads(run(capsys, "list", "--json", *imported))
    assert listed[0]["name"] == HOSTILE_NAME
    shown = json.loads(run(capsys, "show", "1211014503910002", "--json", *imported))
    assert shown["name"] == HOSTILE_NAME and shown["history"][0]["actor"] == "loket\nsatu"

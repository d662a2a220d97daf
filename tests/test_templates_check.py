"""`sikro templates check|list` and check_template: syntax errors, unknown variables, sound built-ins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document

from sikro_docs.documents import KINDS, builtin_templates_dir, check_template
from sikro_docs.errors import UnusableInput

# Runs `sikro ...` with the templates group registered even before the CLI's
# __init__ lists it (adding it twice is harmless).
RUNNER = (
    "import sys\n"
    "from sikro_docs.cli import cli, main\n"
    "from sikro_docs.cli.templates import COMMANDS\n"
    "for c in COMMANDS:\n"
    "    cli.add_command(c)\n"
    "main(sys.argv[1:])\n"
)


class Result:
    def __init__(self, proc):
        self.code, self.out, self.err = proc.returncode, proc.stdout, proc.stderr


def sikro(*args) -> Result:
    env = {k: v for k, v in os.environ.items() if k != "SIKRO_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], capture_output=True,
                          text=True, timeout=120, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return Result(proc)


def make_docx(path: Path, *paragraphs: str, header: str | None = None) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph().add_run(text)
    if header is not None:
        doc.sections[0].header.paragraphs[0].add_run(header)
    doc.save(path)
    return path


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_builtin_is_sound(kind):
    path = builtin_templates_dir() / KINDS[kind].template
    assert check_template(path, kind) == []
    result = sikro("templates", "check", path)
    assert result.code == 0, result.out + result.err
    assert "sound" in result.out


def test_unclosed_variable_is_named(tmp_path):
    path = make_docx(tmp_path / "permit.docx", "Nomor: {{ nomor }", "Nama: {{ pemohon.nama }}")
    result = sikro("templates", "check", path)
    assert result.code == 1
    assert "{{ nomor }" in result.out
    assert "paragraph 1" in result.out


def test_unclosed_block_is_named(tmp_path):
    path = make_docx(tmp_path / "rejection.docx", "Awal", "{% if alasan %}", "Alasan: {{ alasan }}", "Akhir")
    problems = check_template(path, "rejection")
    assert problems
    joined = "\n".join(problems)
    assert "'if' opened in paragraph 2" in joined
    assert "{% if alasan %}" in joined
    result = sikro("templates", "check", path)
    assert result.code == 1
    assert "if" in result.out


def test_bad_tag_syntax_names_the_paragraph(tmp_path):
    path = make_docx(tmp_path / "receipt.docx", "Baik {{ nomor }}", "Rusak {% if %} x {% endif %}")
    problems = check_template(path, "receipt")
    assert len(problems) == 1
    assert "syntax error" in problems[0] and "Rusak" in problems[0]


def test_unknown_variables_are_named(tmp_path):
    path = make_docx(
        tmp_path / "receipt.docx",
        "{{ pemohon.namaa }} {{ pemohon.nama }} {{ alasan }} {{ nomor | upper }}",
        "{%p for b in berkas %}", "{{ b.nama }} {{ b.tandaa }}", "{%p endfor %}",
        "{{ pemohon.nama.upper() }} {% for baris in kantor.nama_baris %}{{ baris }}{% endfor %}",
        header="{{ kantor.namaa }}",
    )
    problems = check_template(path, "receipt")
    joined = "\n".join(problems)
    assert "pemohon.namaa" in joined
    assert "alasan" in joined  # a rejection's variable, not a receipt's
    assert "berkas[].tandaa" in joined
    assert "kantor.namaa" in joined and "header" in joined
    assert len(problems) == 4, problems
    result = sikro("templates", "check", path)
    assert result.code == 1
    assert "pemohon.namaa" in result.out and "berkas[].tandaa" in result.out


def test_kind_option_and_unknown_kind(tmp_path):
    path = make_docx(tmp_path / "mine.docx", "{{ alasan }}")
    assert sikro("templates", "check", path, "--kind", "rejection").code == 0
    result = sikro("templates", "check", path, "--kind", "receipt")
    assert result.code == 1 and "alasan" in result.out
    result = sikro("templates", "check", path, "--kind", "nope")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "unknown kind" in result.err
    result = sikro("templates", "check", path)  # no kind from the name "mine"
    assert result.code == 2 and "--kind" in result.err


def test_not_a_docx_is_exit_2(tmp_path):
    text = tmp_path / "permit.docx"
    text.write_text("this is not a docx")
    result = sikro("templates", "check", text)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "not a DOCX" in result.err
    with pytest.raises(UnusableInput):
        check_template(text, "permit")
    import zipfile

    fake = tmp_path / "receipt.docx"
    with zipfile.ZipFile(fake, "w") as zf:
        zf.writestr("hello.txt", "zip but no docx")
    result = sikro("templates", "check", fake)
    assert result.code == 2 and "not a DOCX" in result.err


def test_list_shows_kinds_and_variables(workspace, ws_args):
    result = sikro("templates", "list", "--json", *ws_args)
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [r["kind"] for r in rows] == list(KINDS)
    by_kind = {r["kind"]: r for r in rows}
    assert "alasan" in by_kind["rejection"]["variables"]
    assert "pemohon.nama" in by_kind["permit"]["variables"]
    assert by_kind["permit"]["paraf"] == ["kabid_pelayanan", "sekretaris"]
    assert all(r["source"] == "built-in" for r in rows)
    make_docx(workspace.templates_dir / "permit.docx", "{{ nomor }}")
    rows = json.loads(sikro("templates", "list", "--json", *ws_args).out)
    assert {r["kind"]: r["source"] for r in rows}["permit"] == "workspace"
    text = sikro("templates", "list", *ws_args)
    assert text.code == 0 and "permit" in text.out and "alasan" in text.out


def test_builtin_templates_are_reproducible(tmp_path):
    """The committed .docx files are what templates/build_templates.py writes."""
    script = Path(__file__).resolve().parents[1] / "templates" / "build_templates.py"
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    for spec in KINDS.values():
        built = (tmp_path / spec.template).read_bytes()
        committed = (builtin_templates_dir() / spec.template).read_bytes()
        assert built == committed, f"{spec.template} differs from build_templates.py output: rebuild it"

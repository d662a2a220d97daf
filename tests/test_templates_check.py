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


# --- templates are data, never code (the payload families: tests/test_templates_sandbox.py) -------

def test_unknown_variables_name_the_paragraph_and_tag(tmp_path):
    path = make_docx(tmp_path / "receipt.docx", "Awal", "Nama: {{ pemohon.namaa }}", header="{{ kantor.namaa }}")
    problems = check_template(path, "receipt")
    assert "receipt.docx: body, paragraph 2: unknown variable pemohon.namaa" in problems[0]
    assert problems[0].endswith("in {{ pemohon.namaa }}")
    assert any(p.startswith("receipt.docx: header ") and "paragraph 1" in p and "{{ kantor.namaa }}" in p
               for p in problems), problems


def test_a_payload_in_a_document_property_is_refused(workspace, tmp_path):
    from test_documents_render import application, document

    from sikro_docs.documents import build_context, render_document
    from sikro_docs.errors import SikroError

    canary = tmp_path / "canary"
    doc = Document(str(builtin_templates_dir() / KINDS["receipt"].template))
    doc.core_properties.title = "{{ cycler.__init__.__globals__.os.popen('touch CANARY').read() }}".replace(
        "CANARY", str(canary))
    own = workspace.templates_dir / "receipt.docx"
    doc.save(str(own))
    problems = check_template(own, "receipt")
    assert problems and "document property title" in problems[0] and "cycler" in problems[0]
    ctx = build_context(workspace, "receipt", application(), document("receipt"))
    with pytest.raises(SikroError, match="cycler"):
        render_document(workspace, "receipt", ctx, tmp_path / "out.docx")
    assert not canary.exists()


def test_a_number_jinja_cannot_read_is_a_problem_not_a_crash(tmp_path):
    path = make_docx(tmp_path / "receipt.docx", "{{ " + "9" * 5000 + " }}", "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}")
    result = sikro("templates", "check", path)
    assert result.code == 1, result.out + result.err
    assert "cannot read" in result.out


@pytest.mark.parametrize("tag,word", [
    ("{{ pemohon.nama.foo }}", "pemohon.nama.foo"),
    ("{{ berkas|map('attr', 'nama')|list }}", "attr"),
    ("{{ berkas|select('callable')|list }}", "callable"),
    ("{{ berkas|sum('_x') }}", "_x"),
    ("{% for a in berkas %}{% for b in berkas %}{% for c in berkas %}{% for d in berkas %}x"
     "{% endfor %}{% endfor %}{% endfor %}{% endfor %}", "nested"),
    ("{% autoescape false %}{{ pemohon.nama }}{% endautoescape %}", "escaping"),
    ("{% set ns = namespace(a=1) %}{% set ns.a = 2 %}", "namespace"),
    ("{% import 'x' as y %}", "import"),
    ("{{ loop.index }}", "loop"),
])
def test_what_the_sandbox_refuses_is_named(tmp_path, tag, word):
    path = make_docx(tmp_path / "receipt.docx", "Awal", tag)
    problems = check_template(path, "receipt")
    assert problems and word in problems[0] and "paragraph 2" in problems[0], problems

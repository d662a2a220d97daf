"""Templates are data, never code: an office's DOCX template runs in Jinja's sandbox.

Each known payload family is put in the body, in a header and in a table
cell of a copy of a built-in template. `sikro templates check` must refuse
it (exit 1, naming the template, the paragraph and the tag); rendering it —
through the compiled renderer and through docxtpl, even past the static
check — must not run it: the canary file it would create does not exist and
the workspace's chain secret never reaches the output.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from jinja2 import TemplateError
from registers_support import sql
from test_documents_render import application, document

from sikro_docs.cli import main
from sikro_docs.documents import (
    KINDS,
    build_context,
    builtin_templates_dir,
    check_template,
    fastdocx,
    render,
    render_document,
)
from sikro_docs.documents.check import jinja_env
from sikro_docs.errors import SikroError

KIND = "receipt"
PLACES = ("body", "header", "table cell")

# name -> (payload with CANARY and SECRET placeholders, a word the refusal must name)
PAYLOADS = {
    "cycler": ("{{ cycler.__init__.__globals__.os.popen('touch CANARY').read() }}", "cycler"),
    "joiner": ("{{ joiner.__init__.__globals__.os.system('touch CANARY') }}", "joiner"),
    "lipsum": ("{{ lipsum.__globals__['os'].popen('touch CANARY').read() }}", "lipsum"),
    "namespace": ("{{ namespace.__init__.__globals__.os.popen('touch CANARY').read() }}", "namespace"),
    "secret": ("{{ cycler.__init__.__globals__.__builtins__.open('SECRET', 'rb').read().hex() }}", "cycler"),
    "mro": ("{% for c in pemohon.nama.__class__.__mro__[1].__subclasses__() %}"
            "{% if c.__name__ == 'catch_warnings' %}"
            "{{ c()._module.__builtins__['__import__']('os').system('touch CANARY') }}"
            "{% endif %}{% endfor %}", "__class__"),
    "empty-string-class": ("{{ ''.__class__.__base__.__subclasses__() }}", "__class__"),
    "attr-filter": ("{{ nomor|attr('__class__')|attr('__mro__') }}", "attr"),
    "attr-escaped": ("{{ nomor|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "attr"),
    "getitem-dunder": ("{{ pemohon.nama['__class__']['__mro__'] }}", "__class__"),
    "format-method": ("{{ '{0.__class__.__mro__}'.format(nomor) }}", "format"),
    "format-map": ("{{ '{x.__class__}'.format_map(pemohon) }}", "format_map"),
    "percent-format": ("{{ '%s' % pemohon.nama.__class__ }}", "%"),
    "percent-width": ("{{ '%*d' % (99999999, 1) }}", "%"),
    "format-filter": ("{{ '%s'|format(nomor) }}", "format"),
    "request": ("{{ request.application.__globals__.__builtins__.open('SECRET', 'rb').read().hex() }}",
                "request"),
    "config": ("{{ config.items() }}", "config"),
    "self": ("{{ self._TemplateReference__context }}", "self"),
    "environment": ("{{ environment.globals }}", "environment"),
    "set-smuggling": ("{% set n = '_' ~ '_class_' ~ '_' %}{{ pemohon.nama[n] }}", "n"),
    "set-global": ("{% set c = cycler %}{{ c.__init__.__globals__.os.popen('touch CANARY').read() }}",
                   "cycler"),
    "huge-range": ("{{ range(10**9)|length }}", "range"),
    "huge-repeat": ("{{ ('x' * 10**8)|length }}", "*"),
    "huge-power": ("{{ (9 ** 999999)|string|length }}", "**"),
    "include": ("{% include 'keys/chain.secret' %}", "include"),
    "safe-filter": ("{{ pemohon.nama|safe }}", "safe"),
}
CASES = [(name, place) for name in PAYLOADS for place in PLACES]


def hostile_template(path: Path, payload: str, place: str, kind: str = KIND) -> Path:
    """A copy of the built-in `kind` template with `payload` in its body, header or a table cell."""
    doc = Document(str(builtin_templates_dir() / KINDS[kind].template))
    if place == "body":
        doc.add_paragraph(payload)
    elif place == "header":
        doc.sections[0].header.add_paragraph(payload)
    else:
        doc.tables[0].cell(0, 0).add_paragraph(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def fill(payload: str, canary: Path, secret: Path) -> str:
    return payload.replace("CANARY", str(canary)).replace("SECRET", str(secret))


def run_cli(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return stop.value.code, out, err


def output_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml"))


@pytest.fixture
def payload_setup(workspace, tmp_path):
    canary = tmp_path / "canary"
    secret = workspace.keys_dir / "chain.secret"
    assert secret.is_file()
    return workspace, canary, secret


@pytest.mark.parametrize("name,place", CASES)
def test_check_refuses_naming_template_paragraph_and_tag(payload_setup, capsys, name, place):
    ws, canary, secret = payload_setup
    payload, word = PAYLOADS[name]
    text = fill(payload, canary, secret)
    path = hostile_template(ws.root / "cek" / f"{KIND}.docx", text, place)
    code, out, err = run_cli(capsys, "templates", "check", path, "--kind", KIND)
    assert code == 1, out + err
    lines = [line for line in out.splitlines() if word in line]
    assert lines, out
    line = lines[0]
    assert line.startswith(f"{KIND}.docx: ")
    assert "paragraph " in line
    expected = {"body": "body", "header": "header", "table cell": "table cell"}[place]
    assert expected in line, line
    assert "{{" in line or "{%" in line  # the tag itself
    assert not canary.exists()


@pytest.mark.parametrize("name,place", CASES)
def test_render_never_runs_the_payload(payload_setup, tmp_path, name, place):
    ws, canary, secret = payload_setup
    payload, _word = PAYLOADS[name]
    text = fill(payload, canary, secret)
    own = hostile_template(ws.templates_dir / KINDS[KIND].template, text, place)
    ctx = build_context(ws, KIND, application(), document(KIND))
    out = tmp_path / "out.docx"
    with pytest.raises(SikroError) as err:
        render_document(ws, KIND, ctx, out)
    assert KINDS[KIND].template in str(err.value)
    assert not out.exists() and not canary.exists()

    # the second wall alone: the sandboxed environment, past the static check
    state = fastdocx.RenderState()
    images, media = render._images(ctx, ws, state)
    with pytest.raises(TemplateError):
        compiled = fastdocx.compile_template(own, jinja_env())
        data = fastdocx.render(compiled, images, state, render.PAPER_TWIPS["A4"], False, media)
        assert secret.read_bytes().hex() not in output_text(data)
    assert not canary.exists()


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_docxtpl_path_runs_in_the_sandbox_too(payload_setup, tmp_path, name):
    from docxtpl import DocxTemplate

    ws, canary, secret = payload_setup
    payload, _word = PAYLOADS[name]
    path = hostile_template(tmp_path / "t.docx", fill(payload, canary, secret), "body")
    ctx = build_context(ws, KIND, application(), document(KIND))
    ctx["lambang"] = ""
    ctx["verifikasi"] = {**ctx["verifikasi"], "qr": ""}
    tpl = DocxTemplate(str(path))
    with pytest.raises(TemplateError):
        tpl.render(ctx, jinja_env=jinja_env(), autoescape=True)
        buf = io.BytesIO()
        tpl.save(buf)
        assert secret.read_bytes().hex() not in output_text(buf.getvalue())
    assert not canary.exists()


# --- a legitimate office template stays sound and renders as before ---------------------------

ORDINARY = [
    "{{ pemohon.nama|upper }} — {{ pemohon.nama.title() }} — {{ kantor.nama_baris|join(' / ') }}",
    "{% for b in berkas %}{{ loop.index }}. {{ b.nama|trim }}{% if not loop.last %}, {% endif %}{% endfor %}",
    "{% if berkas|length > 3 and catatan is defined %}Lengkap{% else %}Kurang{% endif %}",
    "{% set jumlah = berkas|selectattr('ada')|list|length %}Ada {{ jumlah }} dari {{ berkas|length }}",
    "{% for b in berkas|sort(attribute='nama') %}{% if loop.index % 2 == 0 %}{{ b.nama|lower }}{% endif %}"
    "{% endfor %}",
    "{{ catatan|default('-', true) }} {{ (pemohon.telepon or '-')|replace('08', '+628') }}",
    "{% for baris in kantor.alamat_baris %}{{ baris|truncate(80) }}{{ ', ' if not loop.last }}{% endfor %}",
    "{% macro tanda(x) %}[{{ x }}]{% endmacro %}{{ tanda(nomor) }} {{ pemohon.nama.startswith('Dra') }}",
]


def test_an_ordinary_office_template_is_sound_and_renders(workspace, tmp_path, capsys):
    doc = Document(str(builtin_templates_dir() / KINDS[KIND].template))
    for line in ORDINARY:
        doc.add_paragraph(line)
    doc.tables[0].cell(0, 0).add_paragraph("{{ tanggal }} {{ berkas|map(attribute='tanda')|join }}")
    own = workspace.templates_dir / KINDS[KIND].template
    doc.save(str(own))
    assert check_template(own, KIND) == []
    code, out, _err = run_cli(capsys, "templates", "check", own)
    assert code == 0 and "sound" in out
    ctx = build_context(workspace, KIND, application(), document(KIND))
    data = render_document(workspace, KIND, ctx, tmp_path / "o.docx").read_bytes()
    text = output_text(data)
    assert text == output_text(unrestricted_render(workspace, own, ctx))
    assert "DRA. ROS&apos;INA" in text or "DRA. ROS'INA" in text
    assert "1. Surat Permohonan" in text
    assert "Ada 7 dari 9" in text
    assert "+6281234567890" in text
    assert "[REG/00012/SIKRO/2026] True" in text


@pytest.mark.parametrize("kind", list(KINDS))
def test_builtins_render_the_same_in_the_sandbox(workspace, tmp_path, kind):
    """The built-ins give the same document as an unrestricted environment gave."""
    ctx = build_context(workspace, kind, application(kind), document(kind))
    data = render_document(workspace, kind, ctx, tmp_path / f"{kind}.docx").read_bytes()
    path = builtin_templates_dir() / KINDS[kind].template
    assert output_text(data) == output_text(unrestricted_render(workspace, path, ctx))


def unrestricted_render(ws, path: Path, ctx: dict) -> bytes:
    """The document as the former, unrestricted Jinja environment rendered it."""
    from jinja2 import Environment, StrictUndefined

    state = fastdocx.RenderState()
    images, media = render._images(ctx, ws, state)
    plain = fastdocx.compile_template(path, Environment(undefined=StrictUndefined, autoescape=True))
    return fastdocx.render(plain, images, state, render.PAPER_TWIPS["A4"], False, media)


# --- a batch with such a template: its rows fail, nothing runs, no number is taken ------------

def register_rows(ws):
    return sql(ws, "select register, seq, status from register_entries")


@pytest.mark.parametrize("place", PLACES)
def test_batch_with_a_hostile_template_fails_its_rows_and_takes_no_number(payload_setup, tmp_path, capsys,
                                                                          place):
    import json

    from test_intake_support import make_workbook, valid_record

    ws, canary, secret = payload_setup
    payload = fill(PAYLOADS["cycler"][0], canary, secret)
    hostile_template(ws.templates_dir / KINDS["rejection"].template, payload, place, kind="rejection")
    book = make_workbook(tmp_path / "p.xlsx", [valid_record(
        no_registrasi=None, keputusan="Ditolak", alasan_penolakan="Tempat kerja belum berizin",
        nomor_rekomendasi="440/0122/DINKES/VIII/2026", tanggal_rekomendasi=dt.date(2026, 8, 20))])
    code, out, _err = run_cli(capsys, "batch", book, "--doc", "rejection", "--json", "--workspace", ws.root)
    assert code == 1
    [doc] = json.loads(out)["documents"]
    assert doc["status"] == "failed"
    assert "rejection.docx" in doc["message"] and "cycler" in doc["message"] and "paragraph" in doc["message"]
    assert not canary.exists()
    assert [r for r in register_rows(ws) if r[0] != "registrasi"] == []  # no entry, pending or void
    code, out, _err = run_cli(capsys, "generate", "rejection", doc["application"], "--json",
                              "--workspace", ws.root)
    assert code == 1 and not canary.exists()
    assert [r for r in register_rows(ws) if r[0] != "registrasi"] == []

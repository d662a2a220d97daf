"""A regular (non-editable) wheel install works on its own.

The built-in DOCX templates have one source, the repository's templates/docx/;
pyproject.toml maps them into the wheel as the package data folder
sikro_docs/_templates. An editable install (./run.sh) reads templates/docx/
directly, so only a real wheel shows whether the packaging is right.

The test builds the wheel from a copy of the sources (so no build/ folder or
egg-info of the checkout is touched or reused), installs it with --target into
a temporary folder and runs the installed `sikro` from a folder outside the
checkout, with the checkout's sikro_docs out of reach: init a workspace, make
receipts (DOCX only, no LibreOffice). No skip marks: it runs in CI (./run.sh
test) like every other test. Building uses pip's build isolation, i.e. it
fetches setuptools>=68 as any `pip install .` does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sikro_docs.intake import CHECKLIST

ROOT = Path(__file__).resolve().parents[1]
NAME = "Rina Sitanggang, A.Md.RO"
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def _copy_sources(dest: Path) -> Path:
    """What a build needs: the top-level files (pyproject.toml, README.md, ...), the package, templates/."""
    dest.mkdir()
    for item in ROOT.iterdir():
        if item.is_file():
            shutil.copy2(item, dest / item.name)
    for folder in ("sikro_docs", "templates"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=JUNK)
    return dest


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{cmd}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = _copy_sources(tmp / "src")
    out = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
          "-w", str(out), str(src)], cwd=tmp, timeout=300)
    (whl,) = out.glob("sikro_docs-*.whl")
    return whl


def test_wheel_carries_every_file_of_the_package_and_the_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "sikro_docs").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    missing = sorted(source - names)
    assert not missing, f"the wheel lacks {missing}: a new subpackage or data file needs pyproject.toml"
    templates = {p.name for p in (ROOT / "templates" / "docx").iterdir() if p.suffix in (".docx", ".png")}
    assert templates and "lambang-placeholder.png" in templates
    prefix = "sikro_docs/_templates/"
    packaged = {n.removeprefix(prefix) for n in names if n.startswith(prefix)}
    assert packaged == templates
    # the runtime files the package reads through importlib.resources or next to its modules
    for needed in ("sikro_docs/data/profile.toml", "sikro_docs/data/document_kinds.toml",
                   "sikro_docs/data/sop.toml",
                   "sikro_docs/data/retention.toml", "sikro_docs/intake/schema.json",
                   "sikro_docs/migrations/env.py", "sikro_docs/migrations/script.py.mako",
                   "sikro_docs/web/templates/base.html", "sikro_docs/web/static/site.css",
                   "sikro_docs/lo_bridge.py"):
        assert needed in names, needed
    # nothing outside the package (no data-files, no stray top-level module)
    tops = {n.split("/")[0] for n in names} - {"sikro_docs"}
    assert len(tops) == 1 and tops.pop().endswith(".dist-info"), tops


def test_installed_wheel_makes_documents_without_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--disable-pip-version-check",
          "-q", "--target", str(site), str(wheel)], cwd=tmp_path, timeout=120)
    sikro = site / "bin" / "sikro"
    assert sikro.is_file()

    # The dependencies come from this interpreter's environment; sikro_docs
    # only from the wheel (PYTHONPATH precedes site-packages, and the editable
    # install's finder is consulted after the path), from a folder outside the checkout.
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIKRO_", "PYTHON"))}
    env.update(PYTHONPATH=str(site), PYTHONNOUSERSITE="1", PYTHONSAFEPATH="1")

    where = _run([sys.executable, "-c",
                  "import json, sikro_docs; from sikro_docs.documents import builtin_templates_dir as b;"
                  "print(json.dumps([sikro_docs.__file__, str(b())]))"],
                 cwd=run_dir, env=env, timeout=60)
    module_file, templates_dir = map(Path, json.loads(where.stdout))
    assert module_file.is_relative_to(site), module_file
    assert templates_dir == site / "sikro_docs" / "_templates"
    assert not module_file.is_relative_to(ROOT)

    _run([str(sikro), "init", "ws"], cwd=run_dir, env=env, timeout=60)
    record = {
        "tanggal_permohonan": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
        "nama": NAME, "nik": "1211014503910002", "tempat_lahir": "Sidikalang",
        "tanggal_lahir": "1991-03-05", "jenis_kelamin": "P",
        "alamat": "Jl. Sisingamangaraja No. 12, Sidikalang", "no_hp": "0812-6543-2100",
        "pendidikan": "D3 Refraksi Optisi", "no_str": "RO00000123456789",
        "str_berlaku_sampai": "Seumur Hidup", "nama_tempat_kerja": "Optik Sidikalang Jaya",
        "alamat_tempat_kerja": "Jl. Pahlawan No. 5, Sidikalang",
        "berkas": {f.name: True for f in CHECKLIST},
    }
    (run_dir / "permohonan.json").write_text(json.dumps([record]), encoding="utf-8")
    batch = _run([str(sikro), "batch", "permohonan.json", "--doc", "receipt", "--json", "--workspace", "ws"],
                 cwd=run_dir, env=env, timeout=120)
    (doc,) = json.loads(batch.stdout)["documents"]
    assert doc["status"] == "issued", doc
    docx = Path(doc["docx"])
    assert docx.is_file() and docx.is_relative_to(run_dir / "ws")
    with zipfile.ZipFile(docx) as z:
        assert NAME in z.read("word/document.xml").decode("utf-8")

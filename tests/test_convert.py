"""DOCX → PDF/A-2b with the real LibreOffice: the pool, its failure paths, and no LibreOffice at all."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import docx
import pytest
from conftest import needs_soffice
from pypdf import PdfReader

from sikro_docs import convert as convert_module
from sikro_docs.convert import INSTALL_HINT, ConverterPool, LibreOfficeMissing, convert_batch, pdfa_part
from sikro_docs.errors import SikroError

SPECIAL = "Café “Sinar Harapan” & Putra <CV> — Izin Usaha Mikro, Kecamatan Sidikalang"


def make_letter(path: Path, number: int) -> Path:
    """A one-page letter like the office's: heading, paragraphs with special characters, a table."""
    document = docx.Document()
    document.add_heading(f"Surat Keterangan Nomor 503/{number:03d}/DPMPTSP/2026", level=1)
    document.add_paragraph(f"Yang bertanda tangan di bawah ini menerangkan bahwa {SPECIAL}.")
    document.add_paragraph("Demikian surat ini dibuat untuk dipergunakan sebagaimana mestinya.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Nama", "Rina Sitanggang, A.Md.RO"
    table.cell(1, 0).text, table.cell(1, 1).text = "Alamat", "Jl. Sisingamangaraja No. 12"
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def truncated_docx(path: Path) -> Path:
    """Starts like a DOCX (a ZIP), but half of it is missing: LibreOffice cannot load it."""
    whole = make_letter(path.with_name("whole-" + path.name), 0).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def soffice_pids(root: Path) -> list[int]:
    found = subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for a parent that never reaps counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def assert_one_line(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message


@pytest.fixture(scope="module")
def letters(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("letters")
    return [make_letter(folder / f"surat-{n}.docx", n) for n in range(4)]


# --------------------------------------------------------------------------- happy path

@needs_soffice
def test_pdfa_2b_next_to_the_docx_with_special_characters_and_progress(letters):
    seen = []
    results = convert_batch(letters, workers=2, progress=seen.append)

    assert [r.docx for r in results] == letters
    assert sorted(r.docx.name for r in seen) == sorted(p.name for p in letters)
    for result in results:
        assert result.ok, result.message
        assert result.pdf == result.docx.with_suffix(".pdf")
        assert pdfa_part(result.pdf) == ("2", "B")
        text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(result.pdf).pages)
        for expected in ("Café", "“Sinar Harapan”", "& Putra", "<CV>", "Kecamatan Sidikalang", "Nomor 503/"):
            assert expected in text, text


@needs_soffice
def test_out_dir_same_names_and_order(tmp_path, letters):
    twin = make_letter(tmp_path / "other" / letters[0].name, 9)
    files = [letters[0], twin, letters[1]]
    results = convert_batch(files, workers=1, out_dir=tmp_path / "pdf")

    assert [r.docx for r in results] == files
    assert results[0].ok and results[0].pdf == tmp_path / "pdf" / "surat-0.pdf"
    assert not results[1].ok and "same PDF name" in results[1].message
    assert results[2].ok
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == ["surat-0.pdf", "surat-1.pdf"]


@needs_soffice
def test_plain_pdf_when_pdfa_is_off(tmp_path):
    [result] = convert_batch([make_letter(tmp_path / "a.docx", 1)], workers=1, pdfa=False)
    assert result.ok and pdfa_part(result.pdf) is None


# --------------------------------------------------------------------------- failures
# Both engines: uno (one LibreOffice kept running per worker, the default)
# and cli (soffice --convert-to per chunk, when there is no python3-uno).

ENGINES = pytest.mark.parametrize("engine", ["uno", "cli"])


@needs_soffice
@ENGINES
def test_corrupt_docx_fails_alone_is_retried_once_and_the_worker_recovers(tmp_path, letters, engine):
    broken = truncated_docx(tmp_path / "rusak.docx")
    noise = tmp_path / "acak.docx"
    noise.write_bytes(os.urandom(4000))  # LibreOffice would import this as text: refused before it
    files = [letters[0], broken, letters[1], noise, letters[2]]
    with ConverterPool(workers=1, engine=engine) as pool:
        root = pool.workers[0].root
        results = pool.convert(files, out_dir=tmp_path / "pdf")

        good = [results[i] for i in (0, 2, 4)]
        assert all(r.ok and r.attempts == 1 for r in good), [r.message for r in good]
        assert not results[1].ok and results[1].pdf is None
        assert results[1].attempts == 2  # tried, then tried again on its own
        assert results[1].message.startswith("rusak.docx: no PDF after 2 tries")
        assert "damaged" in results[1].message
        assert not results[3].ok and results[3].message == "acak.docx: not a DOCX file (it is not a ZIP archive)"
        for result in results:
            assert_one_line(result.message)
        assert pool.restarts == 1  # killed and given a new profile after the failure
        assert not (tmp_path / "pdf" / "rusak.pdf").exists()

        [again] = pool.convert([letters[3]], out_dir=tmp_path / "pdf")
        assert again.ok, again.message
    assert soffice_pids(root) == [] and not root.exists()


def freeze_first_converting_soffice(root: Path, engine: str, stopped: list, give_up: float = 30) -> None:
    """SIGSTOP the first soffice.bin of the worker at `root` that converts: a hang, as seen on some documents."""
    marker = b"--accept" if engine == "uno" else b"--convert-to"
    deadline = time.monotonic() + give_up
    while time.monotonic() < deadline:
        for pid in soffice_pids(root):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"soffice.bin" in cmdline and marker in cmdline:
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
                return
        time.sleep(0.02)


@needs_soffice
def test_uno_hang_costs_one_timeout_and_only_that_document_is_retried(tmp_path, letters):
    files = letters[:3]
    with ConverterPool(workers=1, timeout_per_doc=2, engine="uno") as pool:
        root, stopped = pool.workers[0].root, []
        freeze_first_converting_soffice(root, "uno", stopped)  # the running LibreOffice, before any document
        started = time.monotonic()
        results = pool.convert(files, out_dir=tmp_path / "pdf")

        assert stopped, "no soffice.bin was found to freeze"
        assert time.monotonic() - started >= 2 - 0.1  # waited for the document's timeout
        assert all(r.ok for r in results), [r.message for r in results]
        assert [r.attempts for r in results] == [2, 1, 1]
        assert pool.restarts == 1
        assert gone(stopped[0])  # the frozen process was killed
    assert soffice_pids(root) == []


@needs_soffice
def test_cli_hang_times_out_then_each_document_is_retried_alone(tmp_path, letters):
    files = letters[:3]
    with ConverterPool(workers=1, timeout_per_doc=2, startup_timeout=3, engine="cli") as pool:
        root, stopped = pool.workers[0].root, []
        freezer = threading.Thread(target=freeze_first_converting_soffice, args=(root, "cli", stopped, 20))
        freezer.start()
        started = time.monotonic()
        results = pool.convert(files, out_dir=tmp_path / "pdf")
        freezer.join()

        assert stopped, "no soffice.bin was found to freeze"
        assert time.monotonic() - started >= 3 + 2 * 3 - 0.5  # waited for the chunk's timeout
        assert all(r.ok for r in results), [r.message for r in results]
        assert all(r.attempts == 2 for r in results)
        assert pool.restarts >= 1
        assert gone(stopped[0])  # the frozen process was killed
    assert soffice_pids(root) == []


@needs_soffice
@ENGINES
def test_a_timeout_on_every_try_is_reported_per_document(tmp_path, letters, engine):
    with ConverterPool(workers=1, timeout_per_doc=0.01, startup_timeout=0, engine=engine) as pool:
        root = pool.workers[0].root
        results = pool.convert(letters[:2], out_dir=tmp_path / "pdf")
    assert [r.ok for r in results] == [False, False]
    for result, letter in zip(results, letters):
        assert result.message.startswith(f"{letter.name}: no PDF after 2 tries: timed out"), result.message
        assert_one_line(result.message)
    assert soffice_pids(root) == [] and not (tmp_path / "pdf").exists()


@needs_soffice
@ENGINES
def test_interrupt_kills_every_soffice(tmp_path, engine):
    files = [make_letter(tmp_path / f"s{n}.docx", n) for n in range(12)]

    def interrupt(result):
        raise KeyboardInterrupt

    pool = ConverterPool(workers=2, engine=engine)
    with pytest.raises(KeyboardInterrupt):
        with pool:
            roots = [worker.root for worker in pool.workers]
            pool.convert(files, progress=interrupt)
    for root in roots:
        assert soffice_pids(root) == [] and not root.exists()


@needs_soffice
def test_lazy_input_is_converted_as_it_comes(tmp_path, letters):
    """A batch hands over each DOCX as it is rendered: the first PDF exists before the input ends."""
    seen_before_the_end = []

    def slowly():
        yield letters[0]
        deadline = time.monotonic() + 30
        while not (tmp_path / "pdf" / f"{letters[0].stem}.pdf").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        seen_before_the_end.append((tmp_path / "pdf" / f"{letters[0].stem}.pdf").exists())
        yield letters[1]

    with ConverterPool(workers=1) as pool:
        results = pool.convert(slowly(), out_dir=tmp_path / "pdf")
    assert seen_before_the_end == [True]
    assert [r.docx for r in results] == letters[:2] and all(r.ok for r in results)


@needs_soffice
def test_without_uno_the_cli_engine_is_chosen(monkeypatch):
    monkeypatch.setenv("SIKRO_CONVERTER", "cli")
    assert ConverterPool().engine == "cli"
    monkeypatch.setenv("SIKRO_CONVERTER", "")
    assert ConverterPool().engine == "uno"  # run.sh installs python3-uno
    monkeypatch.setenv("SIKRO_CONVERTER", "fast")
    with pytest.raises(SikroError, match="SIKRO_CONVERTER=fast is not one of: uno, cli"):
        ConverterPool()


# --------------------------------------------------------------------------- no LibreOffice

def test_wrong_sikro_soffice_and_empty_path_raise_with_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("SIKRO_SOFFICE", str(tmp_path / "no-such-soffice"))
    monkeypatch.setenv("PATH", "")
    with pytest.raises(LibreOfficeMissing) as caught:
        convert_batch([tmp_path / "a.docx"])
    assert isinstance(caught.value, SikroError)
    assert INSTALL_HINT in str(caught.value)
    assert "sudo apt-get install libreoffice-writer-nogui" in str(caught.value)
    assert "the DOCX files are ready" in str(caught.value)


def test_nothing_on_path_nor_in_the_usual_places(monkeypatch, tmp_path):
    monkeypatch.delenv("SIKRO_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(convert_module, "KNOWN_LOCATIONS", (str(tmp_path / "opt/libreoffice*/program/soffice"),))
    with pytest.raises(LibreOfficeMissing, match="not installed"):
        ConverterPool()


# --------------------------------------------------------------------------- small parts

def test_move_into_place_across_filesystems(monkeypatch, tmp_path):
    source, dest = tmp_path / "out" / "1.pdf", tmp_path / "final" / "surat.pdf"
    source.parent.mkdir()
    source.write_bytes(b"%PDF-new")
    real_replace = os.replace

    def replace_like_across_devices(src, dst):
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(convert_module.os, "replace", replace_like_across_devices)
    convert_module._atomic_move(source, dest)
    assert dest.read_bytes() == b"%PDF-new"
    assert [p.name for p in dest.parent.iterdir()] == ["surat.pdf"]  # no .part left


def test_cli_chunks_are_even_and_small(monkeypatch):
    monkeypatch.setenv("SIKRO_CONVERTER", "cli")
    pool = ConverterPool(workers=2)
    for known in (1, 3, 39, 41, 300, 1001):
        size = pool._chunk_size(known)
        chunks = -(-known // size)
        assert size <= convert_module.MAX_CHUNK and (chunks % 2 == 0 or known < 2), (known, size)
    assert pool._chunk_size(None) == convert_module.MAX_CHUNK
    monkeypatch.setenv("SIKRO_CONVERTER", "uno")
    assert ConverterPool(workers=2)._chunk_size(300) == 1


# --------------------------------------------------------------------------- what children get, what stays behind

def _office_pids(worker) -> list[int]:
    """The processes of a worker: the bridge and LibreOffice (their command lines name its folder)."""
    return soffice_pids(worker.root)


def _unix_socket_paths(pids: list[int]) -> set[str]:
    """Paths of the Unix sockets these processes hold (/proc/PID/fd ↔ /proc/net/unix)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    paths = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in inodes and fields[7].startswith("/"):
            paths.add(fields[7])
    return paths


def _env_recording_soffice(tmp_path: Path) -> tuple[Path, Path]:
    """A soffice that appends its environment to a file, then is the real soffice."""
    record = tmp_path / "soffice-env.txt"
    wrapper = tmp_path / "soffice"
    wrapper.write_text(f'#!/bin/sh\nenv >> "{record}"\necho ---- >> "{record}"\n'
                       f'exec "{convert_module.find_soffice()}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, record


@needs_soffice
@pytest.mark.parametrize("engine", ["uno", "cli"])
def test_libreoffice_gets_no_sikro_variable(tmp_path, monkeypatch, letters, engine):
    if engine == "uno" and convert_module.choose_engine(convert_module.find_soffice()) != "uno":
        pytest.skip("no python3-uno")
    wrapper, record = _env_recording_soffice(tmp_path)
    monkeypatch.setenv("SIKRO_SOFFICE", str(wrapper))
    monkeypatch.setenv("SIKRO_P12_PASSPHRASE", "rahasia-kepala-dinas")
    monkeypatch.setenv("SIKRO_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("SIKRO_CONVERTER", engine)
    results = convert_batch(letters[:2], workers=1, out_dir=tmp_path / "pdf")

    assert all(r.ok for r in results), [r.message for r in results]
    seen = record.read_text()
    assert seen.count("----") >= 2  # the warm-up start and at least one conversion
    assert "SIKRO_" not in seen and "rahasia-kepala-dinas" not in seen
    assert "PATH=" in seen and "HOME=" in seen
    assert f"HOME={Path.home()}\n" not in seen  # HOME is the worker's folder


@needs_soffice
def test_uno_bridge_gets_no_sikro_variable_and_no_pipe_stays_in_tmp(tmp_path, monkeypatch, letters):
    if convert_module.choose_engine(convert_module.find_soffice()) != "uno":
        pytest.skip("no python3-uno")
    monkeypatch.setenv("SIKRO_P12_PASSPHRASE", "rahasia-kepala-dinas")
    environments, sockets = [], set()

    def look(_result):
        for worker in pool.workers:
            pids = _office_pids(worker)
            sockets.update(_unix_socket_paths(pids))
            for pid in pids:
                try:
                    environments.append(Path(f"/proc/{pid}/environ").read_bytes())
                except OSError:
                    pass

    with ConverterPool(workers=1, engine="uno") as pool:
        look(None)
        results = pool.convert(letters[:2], out_dir=tmp_path / "pdf", progress=look)
        worker_root = pool.workers[0].root
    assert all(r.ok for r in results), [r.message for r in results]
    assert environments, "no LibreOffice process was seen"
    for environ in environments:
        names = [item.split(b"=", 1)[0] for item in environ.split(b"\0") if item]
        assert not [n for n in names if n.startswith(b"SIKRO_")], names
        assert b"rahasia-kepala-dinas" not in environ
    assert any(path.startswith("/tmp/OSL_PIPE_") for path in sockets), sockets
    left = [path for path in sockets if os.path.lexists(path)]
    assert left == [], left
    assert not worker_root.exists()


def test_child_env_is_an_allow_list_without_sikro_variables(monkeypatch, tmp_path):
    from sikro_docs.childenv import child_env

    monkeypatch.setenv("SIKRO_P12_PASSPHRASE", "rahasia")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "rahasia-juga")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("SAL_USE_VCLPLUGIN", "svp")
    env = child_env(home=tmp_path, TMPDIR=str(tmp_path), SIKRO_EXTRA="x")
    assert not [name for name in env if name.startswith("SIKRO_")]
    assert "AWS_SECRET_ACCESS_KEY" not in env
    assert env["LC_ALL"] == "C.UTF-8" and env["SAL_USE_VCLPLUGIN"] == "svp"
    assert env["HOME"] == str(tmp_path) and env["TMPDIR"] == str(tmp_path) and env["PATH"]

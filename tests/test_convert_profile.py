"""The converter's workers start on a copy of a profile built once, not on a start of their own."""

from __future__ import annotations

import stat

from conftest import needs_soffice
from test_convert import make_letter

from sikro_docs.convert import BuiltProfile, ConverterPool, find_soffice, pdfa_part


@needs_soffice
def test_a_second_pool_copies_the_built_profile_and_converts(tmp_path, monkeypatch):
    """Building a profile is a whole LibreOffice start, when a batch needs LibreOffice most:
    the first pool keeps the profile its start built, the next ones copy it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    letters = [make_letter(tmp_path / "in" / f"surat-{n}.docx", n) for n in range(2)]
    with ConverterPool(workers=1, engine="cli") as first:
        assert [w.from_built for w in first.workers] == [False]
    built = BuiltProfile(find_soffice()).path
    assert (built / "user" / "registrymodifications.xcu").is_file()
    assert stat.S_IMODE(built.parent.stat().st_mode) == 0o700
    for engine in ("cli", "uno"):
        out = tmp_path / f"out-{engine}"
        with ConverterPool(workers=2, engine=engine) as pool:
            assert [w.from_built for w in pool.workers] == [True, True]
            results = pool.convert(letters, out_dir=out)
        assert all(r.ok for r in results), [r.message for r in results]
        assert all(pdfa_part(r.pdf) == ("2", "B") for r in results)
    assert sorted(p.name for p in built.parent.iterdir()) == [built.name]  # no partial copies left


@needs_soffice
def test_without_a_writable_cache_the_profile_is_built_as_before(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    letter = make_letter(tmp_path / "in" / "surat.docx", 1)
    with ConverterPool(workers=1, engine="cli") as pool:
        assert [w.from_built for w in pool.workers] == [False]
        [result] = pool.convert([letter], out_dir=tmp_path / "out")
    assert result.ok, result.message

"""DOCX rendering per document: docxtpl (git HEAD's render.py) against the compiled path.

    .venv/bin/python bench/render_bench.py [--n 200] [--kind permit]

A permit with emblem and QR image is rendered N times in a loop after a
warm-up, first through the render.py of git HEAD (docxtpl: re-opens the
template, re-compiles Jinja, saves through python-docx), then through the
current render_document (template compiled once, zip entries copied), and
that path without its atomic file write (temporary file, fsync, rename, fsync
of the folder), which is most of its wall time on a virtual disk.
Prints wall and CPU ms per document for each. Writes only to a temporary folder.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_documents_render import application, document  # noqa: E402

from sikro_docs.documents import build_context, render_document  # noqa: E402
from sikro_docs.workspace import init_workspace  # noqa: E402


def head_render_module():
    """render.py as committed (git HEAD), loaded as a sibling module of the package."""
    source = subprocess.run(["git", "show", "HEAD:sikro_docs/documents/render.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    name = "sikro_docs.documents._render_head"
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "sikro_docs.documents"
    module.__file__ = str(ROOT / "sikro_docs" / "documents" / "render.py")
    exec(compile(source, "HEAD:sikro_docs/documents/render.py", "exec"), module.__dict__)  # noqa: S102
    return module


def render_in_memory(ws, kind, ctx, out: Path) -> bytes:
    """render_document's work up to the DOCX bytes: no temporary file, fsync, rename."""
    from sikro_docs.documents import fastdocx, render

    compiled = render.compiled_template(render.template_path(ws, kind))
    state = fastdocx.RenderState()
    values, media = render._images(ctx, ws, state)
    return fastdocx.render(compiled, values, state, render.PAPER_TWIPS["A4"], False, media)


def measure(render, ws, kind, ctx, out: Path, n: int) -> tuple[float, float]:
    for _ in range(5):  # warm-up (compiles, caches)
        render(ws, kind, ctx, out)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        render(ws, kind, ctx, out)
    return ((time.perf_counter() - wall) * 1000 / n, (time.process_time() - cpu) * 1000 / n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--kind", default="permit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = init_workspace(Path(tmp) / "ws")
        ctx = build_context(ws, args.kind, application(), document(args.kind))
        assert ctx["verifikasi"]["qr"] and ctx["lambang"], "a permit with QR and emblem"
        rows = [("before (docxtpl, git HEAD)", head_render_module().render_document),
                ("after  (compiled template)", render_document),
                ("after, without the file write", render_in_memory)]
        for label, render in rows:
            wall, cpu = measure(render, ws, args.kind, ctx, Path(tmp) / f"{args.kind}.docx", args.n)
            print(f"{label:30s}: {wall:6.2f} ms/doc wall, {cpu:6.2f} ms/doc CPU  ({args.n} x {args.kind})")


if __name__ == "__main__":
    main()

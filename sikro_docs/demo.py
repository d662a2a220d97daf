"""`sikro demo`: a workspace with the example applications, ready to explore."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import registry
from .samples import write_sample_workbook
from .workspace import Workspace, init_workspace

SAMPLE_NAME = "permohonan-contoh.xlsx"


@dataclass
class DemoResult:
    workspace: Workspace
    workbook: Path
    report: registry.ImportReport


def run_demo(root: Path) -> DemoResult:
    """Create (or reuse) the demo workspace and import the example workbook into it."""
    ws, _created = init_workspace(root)
    workbook = ws.root / SAMPLE_NAME
    if not workbook.exists():
        write_sample_workbook(workbook)
    report = registry.import_file(ws, workbook, actor="demo")
    return DemoResult(ws, workbook, report)

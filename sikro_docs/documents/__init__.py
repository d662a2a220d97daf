"""Documents of the licensing procedure: templates (DOCX, docxtpl), their context, rendering.

    KINDS                                    kind -> KindSpec (data/document_kinds.toml)
    template_path(ws, kind)                  the office's template, else the built-in one
    build_context(ws, kind, application, document)
    render_document(ws, kind, context, out_path)
    check_template(path, kind)               problems of a template (syntax, unknown variables,
                                             what the sandbox refuses: guard.py)

Every template renders in the sandbox of sandbox.py (check.jinja_env()),
through the compiled renderer (fastdocx.py) and docxtpl alike.

The kinds: receipt, checklist-return, disposition, recommendation-request,
task-order, inspection-report, rejection, permit, revocation-decree. Each is
worded from the application's permit type (typed.py: `izin`, `data`, `rincian`).
"""

from __future__ import annotations

from .check import check_template
from .context import KindSpec, build_context, get_kind, load_kinds, permit_valid_until, permit_validity, variables_for
from .render import builtin_templates_dir, render_document, template_path

KINDS: dict[str, KindSpec] = load_kinds()

__all__ = [
    "KINDS", "KindSpec", "build_context", "builtin_templates_dir", "check_template", "get_kind",
    "permit_valid_until", "permit_validity", "render_document", "template_path", "variables_for",
]

"""Check a DOCX template before a batch: Jinja syntax, what the sandbox refuses, the kind's variables.

A template is read the way docxtpl reads it: each part (body, headers,
footers) is cleaned with docxtpl's own `patch_xml`, and a newline is put
before every paragraph, so the line of a Jinja error is the paragraph it is
in; the problem names that paragraph's text.

Variables are followed through the Jinja syntax tree, attribute by
attribute: `pemohon.namaa` is reported although `pemohon` exists, and
`b.nama` inside `{% for b in berkas %}` is checked as `berkas[].nama`.

Templates are data, never code: guard.py refuses whatever the sandbox
(sandbox.py) would refuse at render time — underscore attributes, names,
filters and tests the kind does not provide, calls, `format`, `%` on text —
naming the part (body, header, footer; table cell), the paragraph and the tag.
"""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

from jinja2 import Environment, TemplateSyntaxError, nodes

from ..errors import UnusableInput
from .guard import PartSource, part_problems
from .sandbox import CALLABLE_METHODS, document_env

_TAG = re.compile(r"<[^>]+>")
CT_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
PLAIN_VALUE_ATTRIBUTES = CALLABLE_METHODS | {"[]"}
RENDERED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_BLOCK_OPEN = {"if", "for", "macro", "call", "filter", "with", "block", "raw", "autoescape", "set_block"}
Path_ = tuple  # a variable path: ("pemohon", "nama"), ("berkas", "[]", "nama")
LOCAL = object()  # a name bound inside the template (set, macro argument, loop)


def jinja_env() -> Environment:
    """The environment documents render with, docxtpl's path and the compiled one alike:
    the sandbox of sandbox.py (StrictUndefined, autoescape on, no globals)."""
    return document_env()


def path_text(path: Path_) -> str:
    out = ""
    for seg in path:
        if seg == "[]":
            out += "[]"
        else:
            out += ("." if out else "") + str(seg)
    return out


def parse_path_text(text: str) -> Path_:
    """"berkas[].nama" -> ("berkas", "[]", "nama")."""
    segs: list[str] = []
    for part in text.split("."):
        is_list = part.endswith("[]")
        name = part[:-2] if is_list else part
        if name:
            segs.append(name)
        if is_list:
            segs.append("[]")
    return tuple(segs)


# --- reading the parts of a DOCX as docxtpl does --------------------------------------------------

def _open(path: Path):
    from docxtpl import DocxTemplate

    path = Path(path)
    if not path.is_file():
        raise UnusableInput(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise UnusableInput(f"{path}: not a DOCX file (not a ZIP package)")
    try:
        tpl = DocxTemplate(str(path))
        tpl.init_docx()
        tpl.docx  # noqa: B018 - loads the package
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad package
        raise UnusableInput(f"{path}: not a DOCX file ({type(exc).__name__}: {exc})") from None
    return tpl


def template_parts(path: Path, raw: bool = False) -> list[tuple[str, str]]:
    """(part name, Jinja source) for the body, each header and each footer.

    Line 1 of a source is what comes before the first paragraph; line N+1 is
    paragraph N. With raw=True the XML is as stored (before docxtpl's patch,
    which can merge paragraphs when a tag is left open).
    """
    from docx.oxml import parse_xml

    tpl = _open(path)
    clean = (lambda xml: xml) if raw else tpl.patch_xml
    parts = [("body", clean(tpl.get_xml()))]
    for uri, label in ((tpl.HEADER_URI, "header"), (tpl.FOOTER_URI, "footer")):
        for _rel, part in tpl.get_headers_footers(uri):
            xml = tpl.xml_to_string(parse_xml(part.blob))
            parts.append((f"{label} {Path(str(part.partname)).name}", clean(xml)))
    for part in tpl.docx.part.package.iter_parts():
        if part.content_type == CT_FOOTNOTES:  # rendered too (docxtpl and fastdocx)
            parts.append(("footnotes", clean(part.blob.decode("utf-8", "replace"))))
    parts = [(name, re.sub(r"<w:p([ >])", r"\n<w:p\1", src)) for name, src in parts]
    props = tpl.docx.core_properties
    for prop in RENDERED_PROPERTIES:
        value = getattr(props, prop) or ""
        if "{" in value:
            parts.append((f"document property {prop}", "\n" + value.replace("\n", " ")))
    return parts


def _line_text(line: str, limit: int = 90) -> str:
    text = html.unescape(_TAG.sub("", line)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unbalanced(lines: list[str]) -> list[str]:
    """Tags opened and not closed within one paragraph (a tag must sit in one run)."""
    problems = []
    for no, line in enumerate(lines[1:], 1):
        text = html.unescape(_TAG.sub("", line))
        for opener, closer, what in (("{{", "}}", "variable"), ("{%", "%}", "block tag")):
            depth, i = 0, 0
            while i < len(text) - 1:
                pair = text[i:i + 2]
                if pair == opener:
                    if depth:
                        break
                    depth, start, i = 1, i, i + 2
                    continue
                if pair == closer and depth:
                    depth = 0
                    i += 2
                    continue
                i += 1
            if depth:
                snippet = text[start:start + 40]
                problems.append(f"paragraph {no}: unclosed {what} {snippet!r} (in: {_line_text(line)!r})")
    return problems


def _unclosed_block(lines: list[str]) -> str | None:
    stack: list[tuple[str, int]] = []
    tag = re.compile(r"{%-?\s*(?:[ptrc]\s+)?(end)?(\w+)")
    for no, line in enumerate(lines[1:], 1):
        for m in tag.finditer(html.unescape(_TAG.sub("", line))):
            end, name = m.group(1), m.group(2)
            if end:
                if stack and stack[-1][0] == name:
                    stack.pop()
            elif name in _BLOCK_OPEN:
                stack.append((name, no))
    if stack:
        name, no = stack[-1]
        return f"'{name}' opened in paragraph {no} ({_line_text(lines[no])!r}) is never closed"
    return None


def syntax_problems(part: str, src: str, env: Environment | None = None,
                    raw: str | None = None) -> tuple[list[str], object]:
    """(problems, parsed AST or None) of one part's Jinja source (and its raw XML)."""
    env = env or jinja_env()
    lines = src.split("\n")
    raw_lines = raw.split("\n") if raw is not None else lines
    problems = [f"{part}: {p}" for p in _unbalanced(raw_lines)]
    try:
        ast = env.parse(src)
    except TemplateSyntaxError as exc:
        where = ""
        if exc.lineno and 1 < exc.lineno <= len(lines):
            where = f" at paragraph {exc.lineno - 1} ({_line_text(lines[exc.lineno - 1])!r})"
        message = f"{part}: Jinja syntax error: {exc.message}{where}"
        if "end of template" in (exc.message or ""):
            unclosed = _unclosed_block(raw_lines)
            if unclosed:
                message += f"; {unclosed}"
        problems.append(message)
        return problems, None
    except (ValueError, RecursionError, MemoryError) as exc:  # a 5,000-digit number, nesting too deep
        problems.append(f"{part}: Jinja cannot read this template ({type(exc).__name__}: {str(exc)[:80]})")
        return problems, None
    return problems, ast


# --- the variables a template uses ---------------------------------------------------------------

def _names(target) -> list:
    """The names a loop or assignment target binds (find_all skips the node itself)."""
    return [target] if isinstance(target, nodes.Name) else list(target.find_all(nodes.Name))


def referenced_paths(ast, env: Environment | None = None) -> set[Path_]:
    """Every variable path the template reads: ("pemohon", "nama"), ("berkas", "[]", "nama") ..."""
    return set(referenced_paths_at(ast, env))


def referenced_paths_at(ast, env: Environment | None = None) -> dict[Path_, int]:
    """Every variable path the template reads -> the first line (paragraph + 1) reading it."""
    env = env or jinja_env()
    specials = set(env.globals) | {"loop", "varargs", "kwargs", "caller", "self", "super"}
    found: dict[Path_, int] = {}

    def path_of(node, scope):
        if isinstance(node, nodes.Name):
            if node.name in scope:
                return scope[node.name]
            if node.name in specials:
                return LOCAL
            return (node.name,)
        if isinstance(node, nodes.Getattr):
            base = path_of(node.node, scope)
            return base if base in (None, LOCAL) else base + (node.attr,)
        if isinstance(node, nodes.Getitem):
            base = path_of(node.node, scope)
            if base in (None, LOCAL):
                return base
            arg = node.arg
            if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                return base + (arg.value,)
            if isinstance(arg, nodes.Const) and isinstance(arg.value, int):
                return base + ("[]",)
            return base
        return None

    def visit(node, scope):
        if isinstance(node, nodes.For):
            visit(node.iter, scope)
            inner = dict(scope)
            for name in _names(node.target):
                inner[name.name] = LOCAL
            it = path_of(node.iter, scope)
            if isinstance(node.target, nodes.Name) and it not in (None, LOCAL):
                inner[node.target.name] = it + ("[]",)
            inner["loop"] = LOCAL
            for child in [*node.body, *node.else_]:
                visit(child, inner)
            if node.test is not None:
                visit(node.test, inner)
            return
        if isinstance(node, (nodes.Macro, nodes.CallBlock)):
            inner = dict(scope)
            for arg in getattr(node, "args", []):
                inner[arg.name] = LOCAL
            for child in node.iter_child_nodes():
                visit(child, inner)
            return
        if isinstance(node, (nodes.Assign, nodes.AssignBlock)):
            if isinstance(node, nodes.Assign):
                visit(node.node, scope)
            else:
                for child in node.body:
                    visit(child, scope)
            for name in _names(node.target):
                scope[name.name] = LOCAL
            return
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)) and getattr(node, "ctx", "load") == "load":
            p = path_of(node, scope)
            if p not in (None, LOCAL):
                found[p] = min(found.get(p, node.lineno), node.lineno)
            if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
                visit(node.arg, scope)
            if p is None:
                for child in node.iter_child_nodes():
                    visit(child, scope)
            return
        for child in node.iter_child_nodes():
            visit(child, scope)

    visit(ast, {})
    return found


def closure(declared) -> set[Path_]:
    """The declared paths and all their prefixes ("berkas[].nama" gives berkas, berkas[] ...)."""
    out: set[Path_] = set()
    for item in declared:
        path = parse_path_text(item) if isinstance(item, str) else tuple(item)
        for i in range(1, len(path) + 1):
            out.add(path[:i])
    return out


def unknown_form(path: Path_, declared: set[Path_]) -> str | None:
    """`path` in its shortest form the declarations do not provide, or None when provided."""
    longest = 0
    for i in range(len(path), 0, -1):
        if path[:i] in declared:
            longest = i
            break
    if longest == len(path):
        return None
    prefix = path[:longest]
    has_children = longest > 0 and any(len(d) > longest and d[:longest] == prefix for d in declared)
    if longest and not has_children and path[longest] in PLAIN_VALUE_ATTRIBUTES:
        return None  # an item or a method of a plain value (a text's upper, a list's items)
    return path_text(path[: longest + 1])


def unknown_paths(used: set[Path_], declared: set[Path_]) -> list[str]:
    """The used paths the declarations do not provide, in their shortest wrong form."""
    return sorted({form for form in (unknown_form(p, declared) for p in used) if form is not None})


def check_template(path: Path, kind: str | None, ptype=None) -> list[str]:
    """Problems of a template: each Jinja syntax error, each construct the sandbox refuses, each
    variable `kind` does not provide for permit type `ptype` (None: for any type of the built-in
    catalogue) — one line each, naming the template, part and paragraph."""
    return _problems(Path(path), kind, variables=True, ptype=ptype)


def sandbox_problems(path: Path, kind: str | None) -> list[str]:
    """What the sandbox refuses (and syntax errors), without the check of deeper variable paths:
    what render.py holds every template to before compiling it."""
    return _problems(Path(path), kind, variables=False)


def declared_variables(kind: str, ptype=None) -> tuple[str, ...]:
    """What a template of `kind` may use: for `ptype`, or for any built-in type when None."""
    from .. import permit_types
    from .context import variables_for

    if ptype is not None:
        return variables_for(kind, ptype)
    seen: dict[str, None] = {}
    for each in permit_types.catalogue(None).types.values():
        seen.update(dict.fromkeys(variables_for(kind, each)))
    return tuple(seen)


def _problems(path: Path, kind: str | None, variables: bool, ptype=None) -> list[str]:
    env = jinja_env()
    declared = closure(declared_variables(kind, ptype)) if kind else None
    known = frozenset(p[0] for p in declared) if declared is not None else None
    problems: list[str] = []
    raws = dict(template_parts(path, raw=True))
    for part, src in template_parts(path):
        part_problems_, ast = syntax_problems(part, src, env, raws.get(part))
        problems += [f"{path.name}: {p}" for p in part_problems_]
        if ast is None:
            continue
        source = PartSource(part, src.split("\n"))
        problems += [f"{path.name}: {p}" for p in part_problems(ast, source, known, kind)]
        if declared is None or not variables:
            continue
        reported: set[str] = set()
        for used, lineno in sorted(referenced_paths_at(ast, env).items(), key=lambda item: item[1]):
            form = unknown_form(used, declared)
            if form is None or form in reported or used[0] not in known:
                continue  # an unknown name itself is the guard's problem
            reported.add(form)
            whose = f"kind {kind} of {ptype.code}" if ptype is not None else f"kind {kind}"
            problems.append(f"{path.name}: {source.where(lineno)}: unknown variable {form} "
                            f"({whose} does not provide it) in {source.tag(lineno, form.split('.')[-1])}")
    return problems


def broken_message(path: Path, problems: list[str]) -> str:
    """The one line a batch row (and a render) fails with when its template has problems."""
    more = f" (and {len(problems) - 1} more: sikro templates check {path})" if len(problems) > 1 else ""
    return f"template {path} is broken: {problems[0]}{more}"

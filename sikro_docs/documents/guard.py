"""What a template may not do, found in its Jinja syntax tree before anything is rendered.

The first wall in front of documents/sandbox.py (which refuses the same at
render time): each problem names the place — body, header or footer, table
cell or not, the paragraph — and the tag, for

* any attribute or key starting with `_`, or text holding `__`;
* a name the kind does not provide (`cycler`, `lipsum`, `range`, `request`,
  `config`, `self` ...), a filter or test the sandbox does not have;
* a call of anything but a text/mapping method, `loop.cycle`, a macro;
* `format`/`format_map`, `%` on text, a key computed from text, huge `*`/`**`;
* `{% include %}`, `{% import %}`, `{% extends %}`, namespaces, turning escaping off;
* a `{% set %}` whose value refers to its own target (`{% set x = x ~ x %}` grows
  exponentially; the renderer also caps a part's output, fastdocx.MAX_RENDERED_CHARS).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from jinja2 import nodes

from .sandbox import CALLABLE_METHODS, FILTERS, MAX_EXPONENT, REFUSED_ATTRIBUTES, TESTS

_XML_TAG = re.compile(r"<[^>]+>")
_JINJA_TAG = re.compile(r"{{.*?}}|{%.*?%}", re.S)
_CELL_OPEN = re.compile(r"<w:tc[ >]")
NEVER_NAMES = frozenset({"self", "super"})  # Jinja provides them to every template: never to ours
LOCAL_ONLY = frozenset({"loop", "caller", "varargs", "kwargs"})  # only inside their block
MAX_FACTOR = 10_000
ATTRIBUTE_FILTERS = frozenset({"sort", "unique", "min", "max", "sum", "join", "map", "groupby", "selectattr",
                               "rejectattr"})
MAX_LOOP_DEPTH = 3
TEXT_FILTERS = frozenset({"string", "join", "replace", "lower", "upper", "title", "capitalize", "trim",
                          "e", "escape", "forceescape", "default", "d", "first", "last", "striptags",
                          "truncate", "format"})


@dataclass(frozen=True)
class PartSource:
    """One rendered part of a template: its label ("body", "header header2.xml" ...) and lines."""
    label: str
    lines: list

    def paragraph_text(self, lineno: int) -> str:
        if not 1 <= lineno <= len(self.lines):
            return ""
        return html.unescape(_XML_TAG.sub("", self.lines[lineno - 1]))

    def in_table_cell(self, lineno: int) -> bool:
        before = "\n".join(self.lines[: max(lineno - 1, 0)])
        return len(_CELL_OPEN.findall(before)) > before.count("</w:tc>")

    def where(self, lineno: int) -> str:
        cell = ", table cell" if self.in_table_cell(lineno) else ""
        if lineno <= 1:
            return f"{self.label}{cell}, before the first paragraph"
        return f"{self.label}{cell}, paragraph {lineno - 1}"

    def tag(self, lineno: int, needle: str) -> str:
        text = self.paragraph_text(lineno)
        tags = _JINJA_TAG.findall(text)
        chosen = next((t for t in tags if needle and needle in t), tags[0] if tags else text.strip())
        return chosen if len(chosen) <= 120 else chosen[:119] + "…"


class _Walker:
    """Collects (lineno, needle, problem) for one part's syntax tree."""

    def __init__(self, known_names: frozenset | None, kind: str | None):
        self.known, self.kind = known_names, kind
        self.scope: dict = {}
        self.depth = 0
        self.found: list[tuple[int, str, str]] = []

    def add(self, node, needle: str, problem: str, rank: int = 5) -> None:
        """Record a problem; of several in one tag, the lowest `rank` (the root cause) is reported."""
        self.found.append((getattr(node, "lineno", 1) or 1, needle, problem, rank))

    # --- the walk, with the names a block binds
    def visit(self, node, scope: dict) -> None:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None and method(node, scope) is False:
            return
        for child in node.iter_child_nodes():
            self.visit(child, scope)

    def _bind(self, target, scope: dict, value="local") -> None:
        names = [target] if isinstance(target, nodes.Name) else list(target.find_all(nodes.Name))
        for name in names:
            scope[name.name] = value

    def visit_For(self, node, scope):
        self.visit(node.iter, scope)
        inner = dict(scope)
        self._bind(node.target, inner, "text" if _items_of_text(node.iter, scope) else "local")
        inner["loop"] = "local"
        self.depth += 1
        if self.depth > MAX_LOOP_DEPTH:
            self.add(node, "for", f"loops nested deeper than {MAX_LOOP_DEPTH} are not allowed in templates")
        for child in [*node.body, *node.else_, *([node.test] if node.test is not None else [])]:
            self.visit(child, inner)
        self.depth -= 1
        return False

    def visit_Macro(self, node, scope):
        scope[node.name] = "macro"
        inner = dict(scope)
        for arg in node.args:
            inner[arg.name] = "text"  # any value a caller passes, text built in the template too
        inner.update(caller="macro", varargs="local", kwargs="local")
        for child in [*node.defaults, *node.body]:
            self.visit(child, inner)
        return False

    def visit_CallBlock(self, node, scope):
        self.visit(node.call, scope)
        inner = dict(scope)
        for arg in node.args:
            inner[arg.name] = "local"
        for child in [*node.defaults, *node.body]:
            self.visit(child, inner)
        return False

    def visit_With(self, node, scope):
        for value in node.values:
            self.visit(value, scope)
        inner = dict(scope)
        for target, value in zip(node.targets, node.values, strict=False):
            self._bind(target, inner, "text" if _makes_text(value, scope) else "local")
        for child in node.body:
            self.visit(child, inner)
        return False

    def visit_Assign(self, node, scope):
        self.visit(node.node, scope)
        if isinstance(node.target, nodes.NSRef):
            self.add(node, "set", "namespaces are not available to templates")
        self._self_reference(node, node.target, [node.node])
        self._bind(node.target, scope, "text" if _makes_text(node.node, scope) else "local")
        return False

    def _self_reference(self, node, target, values) -> None:
        """`{% set x = x ~ x %}` doubles x at each tag: a few dozen such tags fill any memory."""
        targets = {n.name for n in ([target] if isinstance(target, nodes.Name) else target.find_all(nodes.Name))}
        for value in values:
            for name in value.find_all(nodes.Name):
                if name.ctx == "load" and name.name in targets:
                    self.add(node, "set", f"{{% set {name.name} %}} refers to itself (a value that grows by "
                                          "itself is not allowed in templates; use a new name)", 0)
                    return

    def visit_AssignBlock(self, node, scope):
        self._self_reference(node, node.target, node.body)
        for child in node.body:
            self.visit(child, scope)
        if node.filter is not None:
            self.visit(node.filter, scope)
        self._bind(node.target, scope, "text")
        return False

    # --- names, attributes, keys
    def visit_Name(self, node, scope):
        if node.ctx != "load" or node.name in scope:
            return
        name = node.name
        if name in NEVER_NAMES:
            self.add(node, name, f"{name} is not available to templates", 0)
        elif name in LOCAL_ONLY:
            self.add(node, name, f"{name} is only available inside its block", 0)
        elif self.known is not None and name not in self.known:
            self.add(node, name, f"unknown name {name} (kind {self.kind} does not provide it)", 0)

    def visit_Getattr(self, node, scope):
        self._attribute(node, node.attr)

    def _attribute(self, node, name: str) -> None:
        if name.startswith("_"):
            self.add(node, name, f"the underscore attribute {name} is not available to templates", 1)
        elif name in REFUSED_ATTRIBUTES:
            self.add(node, name, f"{name} is not available to templates", 2)

    def visit_Getitem(self, node, scope):
        arg = node.arg
        if isinstance(arg, nodes.Const) and isinstance(arg.value, str):
            self._attribute(node, arg.value)
        elif _makes_text(arg, scope):
            self.add(node, "[", "a key computed from text is not allowed (write the name: x.nama)")

    def visit_Const(self, node, scope):
        if isinstance(node.value, str) and "__" in node.value:
            self.add(node, "__", f"text with '__' ({node.value[:30]!r}) is not allowed in a tag", 4)

    # --- filters, tests, calls
    def visit_Filter(self, node, scope):
        self.scope = scope
        if node.name not in FILTERS:
            self.add(node, node.name, f"the filter |{node.name} is not available to templates", 3)
        self._attribute_arguments(node)

    def visit_Test(self, node, scope):
        if node.name not in TESTS:
            self.add(node, node.name, f"the test 'is {node.name}' is not available to templates", 3)

    def _attribute_arguments(self, node) -> None:
        """Filters that read attributes by name, or apply a filter or test by name."""
        args = [*node.args, *(kw.value for kw in node.kwargs)]
        if node.name in ATTRIBUTE_FILTERS and (node.dyn_args is not None or node.dyn_kwargs is not None):
            self.add(node, node.name, f"|{node.name}: write its arguments out (no * or **)")
        if node.name in ATTRIBUTE_FILTERS:
            for value in args:
                if isinstance(value, nodes.Const) and isinstance(value.value, str):
                    for segment in value.value.split("."):
                        self._attribute(node, segment)
                elif _makes_text(value, self.scope):
                    self.add(node, node.name, f"|{node.name}: an attribute must be written as text, not computed")
        named = {"map": (0, FILTERS, "filter"), "select": (0, TESTS, "test"), "reject": (0, TESTS, "test"),
                 "selectattr": (1, TESTS, "test"), "rejectattr": (1, TESTS, "test")}.get(node.name)
        if named is not None and len(node.args) > named[0] and not node.kwargs:
            value = node.args[named[0]]
            if isinstance(value, nodes.Const) and isinstance(value.value, str):
                if value.value not in named[1]:
                    self.add(node, value.value, f"|{node.name}: the {named[2]} {value.value!r} is not available", 3)
            elif not isinstance(value, nodes.Const):
                self.add(node, node.name, f"|{node.name}: the {named[2]} must be written as text")

    def visit_Call(self, node, scope):
        callee = node.node
        if isinstance(callee, nodes.Getattr):
            if callee.attr not in CALLABLE_METHODS:
                self.add(node, callee.attr, f"calling {callee.attr}() is not allowed in templates")
        elif isinstance(callee, nodes.Name):
            if scope.get(callee.name) not in ("macro",) and not (callee.name == "loop" and "loop" in scope):
                self.add(node, callee.name, f"calling {callee.name}() is not allowed in templates")
        else:
            self.add(node, "(", "only text methods and macros may be called in templates")

    # --- operators
    def visit_Mod(self, node, scope):
        if _makes_text(node.left, scope):
            self.add(node, "%", "'%' formatting of text is not allowed in templates")

    def visit_Pow(self, node, scope):
        right = node.right
        if not (isinstance(right, nodes.Const) and isinstance(right.value, (int, float))
                and abs(right.value) <= MAX_EXPONENT):
            self.add(node, "**", f"'**' is allowed with a written exponent up to {MAX_EXPONENT} only")

    def visit_Mul(self, node, scope):
        for side in (node.left, node.right):
            if isinstance(side, nodes.Pow) or (isinstance(side, nodes.Const) and isinstance(side.value, int)
                                               and abs(side.value) > MAX_FACTOR):
                self.add(node, "*", f"'*' by more than {MAX_FACTOR:,} is not allowed in templates")

    # --- constructs a DOCX template has no use for
    def _refuse(self, node, word: str, why: str):
        self.add(node, word, why, 0)
        return False

    def visit_Include(self, node, scope):
        return self._refuse(node, "include", "{% include %} is not available: a template stands alone")

    def visit_Import(self, node, scope):
        return self._refuse(node, "import", "{% import %} is not available: a template stands alone")

    def visit_FromImport(self, node, scope):
        return self._refuse(node, "import", "{% from ... import %} is not available: a template stands alone")

    def visit_Extends(self, node, scope):
        return self._refuse(node, "extends", "{% extends %} is not available: a template stands alone")

    def visit_NSRef(self, node, scope):
        self.add(node, node.name, "namespaces are not available to templates")

    def visit_ScopedEvalContextModifier(self, node, scope):
        self.visit_EvalContextModifier(node, scope)

    def visit_EvalContextModifier(self, node, scope):
        for option in node.options:
            if option.key == "autoescape" and not (isinstance(option.value, nodes.Const) and option.value.value):
                self.add(node, "autoescape", "turning escaping off is not allowed (text would break the DOCX)")


def _makes_text(node, scope: dict) -> bool:
    """Whether `node` is (or may well be) text built in the template."""
    if isinstance(node, nodes.Const):
        return isinstance(node.value, str)
    if isinstance(node, (nodes.Concat, nodes.TemplateData)):
        return True
    if isinstance(node, nodes.Filter):
        return node.name in TEXT_FILTERS
    if isinstance(node, nodes.Name):
        return scope.get(node.name) == "text"
    if isinstance(node, (nodes.Add, nodes.Mul, nodes.Mod)):
        return _makes_text(node.left, scope) or _makes_text(node.right, scope)
    if isinstance(node, nodes.CondExpr):
        return _makes_text(node.expr1, scope) or (node.expr2 is not None and _makes_text(node.expr2, scope))
    if isinstance(node, (nodes.Tuple, nodes.List)):
        return False
    return False


def _items_of_text(node, scope: dict) -> bool:
    """Whether a loop over `node` may give text built in the template (`['_', '_x']`, `'a,b'.split(',')`)."""
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return any(_makes_text(item, scope) for item in node.items)
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
        return _makes_text(node.node.node, scope)
    if isinstance(node, nodes.Filter):
        return node.node is not None and _makes_text(node.node, scope)
    return _makes_text(node, scope)


def part_problems(ast, source: PartSource, known_names: frozenset | None, kind: str | None) -> list[str]:
    """The problems of one part's syntax tree, each as "<where>: <problem> in <tag>"."""
    walker = _Walker(known_names, kind)
    walker.visit(ast, {})
    best: dict[tuple[int, str], tuple[int, int, str]] = {}  # (line, tag) -> (rank, order, problem)
    for order, (lineno, needle, problem, rank) in enumerate(walker.found):
        key = (lineno, source.tag(lineno, needle))
        if key not in best or (rank, order) < best[key][:2]:
            best[key] = (rank, order, problem)
    ordered = sorted(best.items(), key=lambda item: (item[0][0], item[1][1]))
    return [f"{source.where(lineno)}: {problem} in {tag}" for (lineno, tag), (_r, _o, problem) in ordered]

"""The Jinja environment every DOCX template renders in: a sandbox stricter than Jinja's own.

An office edits its templates (and a later console lets staff upload them),
so a template is data, never code. Starting from Jinja's
ImmutableSandboxedEnvironment:

* no globals at all (no `cycler`, `joiner`, `lipsum`, `namespace`, `range`,
  `dict`): a template sees the names its document kind provides, nothing else;
* attributes by allow-list per type: a few text methods (`upper`, `title`,
  `replace` ...), `items`/`keys`/`values`/`get` of a mapping, the public
  attributes of `loop`; never a name starting with `_`, never `format` or
  `format_map` (str.format walks attributes), on any object;
* the filters and tests of FILTERS and TESTS only (no `attr`, `format`,
  `safe`, `indent`, `center`, `batch` ...);
* `%` on text is refused (printf formatting), and `*`, `**` and `+` may not
  make huge numbers, texts or lists; nor may `~`, `|join`, `|replace` and the
  text methods `join` and `replace` make a text over MAX_TEXT characters
  (checked before the text is made, `~` just after);
* `{% include %}`, `{% import %}`, `{% extends %}` find nothing (a DOCX
  template stands alone).

documents/guard.py refuses the same things before anything is rendered, with
the paragraph and the tag; this environment is the second wall.
"""

from __future__ import annotations

import math
import operator
import types

from jinja2 import DictLoader, StrictUndefined
from jinja2.compiler import CodeGenerator
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.tests import TESTS as JINJA_TESTS

TEXT_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "isalnum", "isalpha", "isdecimal",
    "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "replace", "rfind", "rpartition", "rsplit",
    "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper",
})
MAPPING_METHODS = frozenset({"items", "keys", "values", "get"})
SEQUENCE_METHODS = frozenset({"count", "index"})
LOOP_ATTRIBUTES = frozenset({
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0",
    "previtem", "nextitem", "cycle", "changed",
})
# Names a template may call as methods (the static check cannot know the type).
CALLABLE_METHODS = TEXT_METHODS | MAPPING_METHODS | SEQUENCE_METHODS | {"cycle", "changed"}
# Never reachable, on any object: they read attributes or build objects behind the sandbox's back.
REFUSED_ATTRIBUTES = frozenset({"format", "format_map", "mro", "encode", "translate", "maketrans"})

FILTERS = frozenset({
    "abs", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
    "forceescape", "groupby", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
    "rejectattr", "replace", "reverse", "round", "select", "selectattr", "sort", "string",
    "striptags", "sum", "title", "trim", "truncate", "unique", "upper", "wordcount",
})
TESTS = frozenset({
    "boolean", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "float", "ge",
    "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping",
    "ne", "none", "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper",
    "==", "!=", "<", "<=", ">", ">=",
})

MAX_SEQUENCE = 100_000   # characters or items a `*` or `+` may make
MAX_INT_BITS = 4_096     # about 1,200 digits: far above any number a document prints
MAX_EXPONENT = 64
MAX_TEXT = MAX_SEQUENCE * 10  # characters a `~`, `+`, join or replace may make


def allowed_attributes(obj) -> frozenset:
    """The attributes a template may read on `obj` (besides a mapping's keys)."""
    if isinstance(obj, str):
        return TEXT_METHODS
    if isinstance(obj, dict):
        return MAPPING_METHODS
    if isinstance(obj, tuple) and isinstance(getattr(type(obj), "_fields", None), tuple):
        return SEQUENCE_METHODS | frozenset(f for f in type(obj)._fields if not f.startswith("_"))
    if isinstance(obj, (list, tuple)):
        return SEQUENCE_METHODS
    if isinstance(obj, LoopContext):
        return LOOP_ATTRIBUTES
    return frozenset()


def _refused(obj, name: str) -> SecurityError:
    return SecurityError(f"templates may not use {name!r} of {type(obj).__name__}")


class _BoundedConcat(CodeGenerator):
    """Jinja's code generator with every `a ~ b` checked by the environment's bounded_text."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.bounded_text(")
        super().visit_Concat(node, frame)
        self.write(")")


def _too_long(size: int, what: str) -> None:
    if size > MAX_TEXT:
        raise SecurityError(f"templates may not make texts longer than {MAX_TEXT:,} characters ({what})")


def _replace_size(text: str, old: str, new: str, count=None) -> int:
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * (len(new) - len(old))


def _bounded_replace_filter(eval_ctx, s, old, new, count=None):
    _too_long(_replace_size(str(s), str(old), str(new), count), "|replace")
    return JINJA_FILTERS["replace"](eval_ctx, s, old, new, count)


def _bounded_join_filter(eval_ctx, value, d="", attribute=None):
    items = list(value)
    if attribute is None:
        _too_long(sum(len(str(item)) for item in items) + len(str(d)) * max(len(items) - 1, 0), "|join")
    return JINJA_FILTERS["join"](eval_ctx, items, d, attribute)


_bounded_replace_filter.jinja_pass_arg = JINJA_FILTERS["replace"].jinja_pass_arg
_bounded_join_filter.jinja_pass_arg = JINJA_FILTERS["join"].jinja_pass_arg
BOUNDED_FILTERS = {"replace": _bounded_replace_filter, "join": _bounded_join_filter}


class DocumentSandbox(ImmutableSandboxedEnvironment):
    """ImmutableSandboxedEnvironment without globals, with allow-lists (see the module)."""

    intercepted_binops = frozenset({"%", "*", "**", "+"})
    code_generator_class = _BoundedConcat

    def __init__(self):
        super().__init__(undefined=StrictUndefined, autoescape=True, loader=DictLoader({}))
        self.globals.clear()
        self.filters = {name: BOUNDED_FILTERS.get(name, JINJA_FILTERS[name])
                        for name in FILTERS if name in JINJA_FILTERS}
        self.tests = {name: JINJA_TESTS[name] for name in TESTS if name in JINJA_TESTS}

    # --- attributes and items
    def is_safe_attribute(self, obj, attr, value) -> bool:
        return (isinstance(attr, str) and not attr.startswith("_") and attr not in REFUSED_ATTRIBUTES
                and attr in allowed_attributes(obj))

    def _name(self, obj, name: str, item_first: bool):
        if name.startswith("_") or name in REFUSED_ATTRIBUTES:
            raise _refused(obj, name)
        if item_first:
            try:
                return obj[name]
            except (TypeError, LookupError):
                pass
        if name in allowed_attributes(obj):
            try:
                return getattr(obj, name)
            except AttributeError:
                pass
        if not item_first:
            try:
                return obj[name]
            except (TypeError, LookupError):
                pass
        if hasattr(type(obj), name):
            raise _refused(obj, name)
        return self.undefined(obj=obj, name=name)

    def getattr(self, obj, attribute):
        if not isinstance(attribute, str):
            return self.getitem(obj, attribute)
        return self._name(obj, attribute, item_first=False)

    def getitem(self, obj, argument):
        if isinstance(argument, str):
            return self._name(obj, argument, item_first=True)
        try:
            return obj[argument]
        except (TypeError, LookupError):
            return self.undefined(obj=obj, name=argument)

    def unsafe_undefined(self, obj, attribute):
        raise _refused(obj, attribute)

    def wrap_str_format(self, value):
        return None  # str.format is never reachable (REFUSED_ATTRIBUTES)

    # --- text growth
    def bounded_text(self, text):
        """The result of a `~`, refused past MAX_TEXT characters."""
        _too_long(len(text), "~")
        return text

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: B902 - Jinja's own signature
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and not kwargs:
            name = getattr(__obj, "__name__", "")
            if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
                _too_long(_replace_size(owner, args[0], args[1], args[2] if len(args) > 2 else None), ".replace()")
            elif name == "join" and len(args) == 1:
                items = list(args[0])
                _too_long(sum(len(i) for i in items if isinstance(i, str)) + len(owner) * len(items), ".join()")
                args = (items,)
        return super().call(__context, __obj, *args, **kwargs)

    # --- calls
    def is_safe_callable(self, obj) -> bool:
        if not super().is_safe_callable(obj):
            return False
        if isinstance(obj, (Macro, LoopContext)):
            return True
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(obj, (types.BuiltinMethodType, types.MethodType, types.MethodWrapperType)):
            return name in allowed_attributes(owner)
        return False

    # --- operators
    def call_binop(self, context, operator_name: str, left, right):
        if operator_name == "%":
            if isinstance(left, str):
                raise SecurityError("templates may not use '%' formatting of text")
            return operator.mod(left, right)
        if operator_name == "**":
            _check_power(left, right)
            return operator.pow(left, right)
        if operator_name == "*":
            _check_product(left, right)
            return operator.mul(left, right)
        if operator_name == "+":
            _check_sum(left, right)
            return operator.add(left, right)
        return super().call_binop(context, operator_name, left, right)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_power(base, exponent) -> None:
    if isinstance(exponent, (int, float)) and abs(exponent) > MAX_EXPONENT and \
            isinstance(base, (int, float)) and abs(base) not in (0, 1):
        raise SecurityError(f"templates may not raise a number to the power {exponent}")
    if _is_int(base) and _is_int(exponent) and exponent > 0 and base not in (0, 1, -1):
        if exponent * math.log2(abs(base)) > MAX_INT_BITS:
            raise SecurityError("templates may not make numbers that large (**)")


def _check_product(left, right) -> None:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and _is_int(times) and len(seq) * times > MAX_SEQUENCE:
            raise SecurityError(f"templates may not repeat text or lists to more than {MAX_SEQUENCE:,} (*)")
    if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise SecurityError("templates may not make numbers that large (*)")


def _check_sum(left, right) -> None:
    if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)) and \
            len(left) + len(right) > MAX_SEQUENCE * 10:
        raise SecurityError("templates may not make texts or lists that long (+)")


def document_env() -> DocumentSandbox:
    """A fresh sandbox (docxtpl sets `autoescape` on the environment it is given)."""
    return DocumentSandbox()

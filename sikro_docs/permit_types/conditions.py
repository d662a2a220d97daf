"""Conditions a permit type's data may put on a checklist item.

    when = "jenis_praktik == 'Mandiri'"
    when = "sip_ke >= 2 and jenis_sarana in ['Apotek', 'Klinik']"

A condition is a comparison of a field with a literal (==, !=, <, <=, >, >=,
in, not in), combined with `and`, `or`, `not` and brackets. It is parsed with
Python's own parser but only these nodes are accepted: it is data, never code.
Text compares ignoring case; a blank field makes every comparison false.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from typing import Any

_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


class ConditionInvalid(ValueError):
    """The text is not a condition of this language (the message says why)."""


@dataclass(frozen=True)
class Condition:
    text: str
    tree: ast.expr
    fields: frozenset[str]  # the field names it reads

    def holds(self, values: dict[str, Any]) -> bool:
        return bool(_evaluate(self.tree, values))


MAX_LENGTH = 500  # a checklist condition is one line a person reads


def parse_condition(text: str) -> Condition:
    shown = _shown(text)
    if len(text) > MAX_LENGTH:
        raise ConditionInvalid(f"{shown} is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
        names: set[str] = set()
        _check(tree, shown, names)
    except SyntaxError as err:
        raise ConditionInvalid(f"{shown} does not parse ({err.msg})") from None
    except (RecursionError, MemoryError):
        raise ConditionInvalid(f"{shown} is nested too deeply") from None
    return Condition(text, tree, frozenset(names))


def _shown(text: str, limit: int = 60) -> str:
    """The condition as messages quote it: whole when short, else its start."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 1] + "…")


def _check(node: ast.AST, text: str, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, text, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check(node.operand, text, names)
    elif isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE or not isinstance(node.left, ast.Name):
            raise ConditionInvalid(f"{text}: write one comparison as FIELD OP VALUE, e.g. sip_ke >= 2")
        names.add(node.left.id)
        _literal(node.comparators[0], text)
    else:
        raise ConditionInvalid(f"{text}: only comparisons of a field with a value, and/or/not, are allowed")


def _literal(node: ast.AST, text: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ConditionInvalid(f"{text}: compare with a text, a number or a list of them") from None
    items = value if isinstance(value, (list, tuple)) else [value]
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in items):
        raise ConditionInvalid(f"{text}: compare with a text, a number or a list of them")
    return value


def _fold(value: Any) -> Any:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


def _evaluate(node: ast.expr, values: dict[str, Any]) -> bool:
    if isinstance(node, ast.BoolOp):
        parts = (_evaluate(v, values) for v in node.values)
        return all(parts) if isinstance(node.op, ast.And) else any(parts)
    if isinstance(node, ast.UnaryOp):
        return not _evaluate(node.operand, values)
    assert isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)
    left = values.get(node.left.id)
    if left is None or left == "":
        return False
    right = ast.literal_eval(node.comparators[0])
    right = [_fold(v) for v in right] if isinstance(right, (list, tuple)) else _fold(right)
    try:
        return bool(_COMPARE[type(node.ops[0])](_fold(left), right))
    except TypeError:  # a text compared with a number: not the same thing
        return False

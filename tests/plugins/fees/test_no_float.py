"""No float in the fees plugin: money is Decimal end to end.

Scans every Python file of ``plugins/fees`` (AST) and every template for what would let a
binary float into a money path:

* a ``float(...)`` call, a float literal (``0.1``, ``1e3``), ``math`` imports;
* a true division ``/`` with an integer literal on either side (``cents / 100`` gives a float
  when ``cents`` is an int: divide by ``Decimal(100)`` or a Decimal constant instead);
* a float column type (``sa.Float``, ``REAL``, ``DOUBLE``) or a ``Numeric(..., asdecimal=False)``;
* in templates: the ``float`` filter or ``float(`` and arithmetic on numbers written with a
  decimal point.

Exceptions go in ALLOWED with the reason; none are needed today.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[3] / "plugins" / "fees"

#: (file relative to the plugin, line text fragment) → why it is fine.
ALLOWED: dict[tuple[str, str], str] = {}

FLOAT_TYPES = {"Float", "REAL", "DOUBLE", "DOUBLE_PRECISION", "FLOAT"}
TEMPLATE_RULES = [
    (re.compile(r"\|\s*float\b"), "the float filter"),
    (re.compile(r"\bfloat\s*\("), "float()"),
    (re.compile(r"[-+*/]\s*\d+\.\d+|\d+\.\d+\s*[-+*/]"), "arithmetic with a decimal-point literal"),
]


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def scan_source(source: str, filename: str = "<src>") -> list[tuple[int, str]]:
    """The float hazards in one Python source: ``[(line, what)]``."""
    problems = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if name == "float":
                problems.append((node.lineno, "float() call"))
            if name in FLOAT_TYPES:
                problems.append((node.lineno, f"{name} column type"))
            if name == "Numeric":
                for kw in node.keywords:
                    if kw.arg == "asdecimal" and isinstance(kw.value, ast.Constant) and kw.value.value is False:
                        problems.append((node.lineno, "Numeric(asdecimal=False)"))
        elif isinstance(node, ast.Attribute) and node.attr in FLOAT_TYPES and not isinstance(node.ctx, ast.Store):
            problems.append((node.lineno, f"{node.attr} type"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, float):
            problems.append((node.lineno, f"float literal {node.value!r}"))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and isinstance(side.value, int) and not isinstance(side.value, bool):
                    problems.append((node.lineno, "true division by an int literal"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            if "math" in names:
                problems.append((node.lineno, "math import"))
    return problems


def scan_template(text: str) -> list[tuple[int, str]]:
    problems = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        for expr in re.findall(r"{{(.*?)}}|{%(.*?)%}", line):
            code = " ".join(expr)
            for rule, what in TEMPLATE_RULES:
                if rule.search(code):
                    problems.append((lineno, what))
    return problems


def _allowed(path: Path, line: str) -> bool:
    rel = str(path.relative_to(PLUGIN))
    return any(rel == f and frag in line for f, frag in ALLOWED)


def test_no_float_in_the_plugin_code():
    files = sorted(PLUGIN.rglob("*.py"))
    assert len(files) > 10
    found = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for lineno, what in scan_source(source, str(path)):
            if not _allowed(path, lines[lineno - 1]):
                found.append(f"{path.relative_to(PLUGIN)}:{lineno}: {what}: {lines[lineno - 1].strip()}")
    assert not found, "float in a money path:\n" + "\n".join(found)


def test_no_float_in_the_plugin_templates():
    found = []
    for path in sorted((PLUGIN / "templates").rglob("*.html")):
        for lineno, what in scan_template(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(PLUGIN)}:{lineno}: {what}")
    assert not found, "float in a template:\n" + "\n".join(found)


def test_the_scanner_catches_what_it_is_for():
    assert scan_source("def f(amount):\n    return float(amount)\n") == [(2, "float() call")]
    assert [w for _l, w in scan_source("x = amount * 0.05")] == ["float literal 0.05"]
    assert [w for _l, w in scan_source("share = cents / 100")] == ["true division by an int literal"]
    assert scan_source("import math\n")[0][1] == "math import"
    assert scan_source("c = sa.Column(sa.Float)")[0][1] == "Float type"
    assert scan_source("c = sa.Numeric(14, 2, asdecimal=False)")[0][1] == "Numeric(asdecimal=False)"
    assert scan_source("x = Decimal('0.05') * amount / HUNDRED\nok = isinstance(v, float)") == []
    assert scan_template("{{ (bill.amount|float) * 2 }}")[0][1] == "the float filter"
    assert scan_template("{{ total * 1.06 }}")[0][1] == "arithmetic with a decimal-point literal"
    assert scan_template("{{ total|money }} 1.5 m²") == []

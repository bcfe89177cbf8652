"""Reading plugin manifests without importing plugin code (as Odoo does)."""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULTS = {
    "summary": "",
    "category": "",
    "sequence": 100,
    "author": "",
    "license": "",
    "depends": [],
    "uses": [],
    "auto_enable": False,
    "core_api": ">=1,<2",
    "default_enabled": True,
    "purgeable": True,
}
REQUIRED = ("code", "name", "version")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: Names the core uses itself (its hook registration, blueprints, URL prefixes, CLI verbs).
RESERVED_CODES = frozenset({
    "core", "auth", "main", "estates", "residents", "admin", "settings", "attachments", "static",
    "login", "logout", "search", "health", "plugins", "jobs", "demo", "users", "upgrade", "db",
    "notifications", "profile", "language", "estate", "roles",
})


class ManifestError(Exception):
    pass


@dataclass
class Manifest:
    code: str
    name: str
    version: str
    summary: str = ""
    category: str = ""
    sequence: int = 100
    author: str = ""
    license: str = ""
    depends: list[str] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)
    auto_enable: bool = False
    core_api: str = ">=1,<2"
    default_enabled: bool = True
    purgeable: bool = True


def package_path(package: str) -> Path:
    """Folder of ``package`` found without executing the package itself."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ManifestError(f"package {package!r} not found")
    return Path(list(spec.submodule_search_locations)[0])


def read_manifest(path: Path, expected_code: str | None = None) -> Manifest:
    file = path / "__manifest__.py"
    if not file.exists():
        raise ManifestError(f"{file} is missing")
    try:
        data = ast.literal_eval(file.read_text(encoding="utf-8"))
    except (ValueError, SyntaxError) as exc:
        raise ManifestError(f"__manifest__.py is not a literal dict: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError("__manifest__.py must be a dict")
    missing = [k for k in REQUIRED if not data.get(k)]
    if missing:
        raise ManifestError(f"manifest lacks {', '.join(missing)}")
    unknown = set(data) - set(REQUIRED) - set(DEFAULTS)
    if unknown:
        raise ManifestError(f"manifest has unknown keys: {', '.join(sorted(unknown))}")
    if not CODE_RE.match(data["code"]):
        raise ManifestError(f"plugin code {data['code']!r} must be lower_snake_case")
    if data["code"] in RESERVED_CODES:
        raise ManifestError(f"plugin code {data['code']!r} is reserved by the core")
    if expected_code and data["code"] != expected_code:
        raise ManifestError(
            f"entry point name {expected_code!r} differs from manifest code {data['code']!r}"
        )
    merged = {**DEFAULTS, **data}
    for key in ("depends", "uses"):
        if not isinstance(merged[key], list | tuple) or not all(isinstance(d, str) for d in merged[key]):
            raise ManifestError(f"manifest {key} must be a list of plugin codes")
        merged[key] = list(merged[key])
    return Manifest(**merged)


_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")


def _vtuple(v: str) -> tuple[int, ...]:
    parts = [int(p) for p in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def version_satisfies(version: str, spec: str) -> bool:
    """``version_satisfies("1.0", ">=1,<2")`` — a small subset of PEP 440 specifiers."""
    v = _vtuple(version)
    for clause in spec.split(","):
        if not clause.strip():
            continue
        m = _CLAUSE.match(clause)
        if not m:
            raise ManifestError(f"core_api clause {clause!r} not understood")
        op, ref = m.group(1), _vtuple(m.group(2))
        ok = {
            ">=": v >= ref, "<=": v <= ref, ">": v > ref,
            "<": v < ref, "==": v == ref, "!=": v != ref,
        }[op]
        if not ok:
            return False
    return True

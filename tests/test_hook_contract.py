"""Meta-tests of the plugin contract: every core hook is documented, explained and tested.

For each hookspec in ``core/hookspecs.py``: ``docs/hooks.md`` shows its exact
signature (``nav_items(user, estates)``) in code, a ``test_hook_<name>``
exists somewhere under ``tests/``, and the spec has a docstring. A hook added
to the core without docs or a test fails here, as does a documented hook that
no longer exists.
"""

from __future__ import annotations

import importlib
import inspect
import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from core import hookspecs

TESTS = Path(__file__).resolve().parent
HOOKS_DOC = TESTS.parent / "docs" / "hooks.md"
SPEC_ATTR = "propdesk_spec"  # set by core.hookspec (pluggy's HookspecMarker("propdesk"))


def core_hooks() -> dict:
    return {name: fn for name, fn in sorted(vars(hookspecs).items())
            if inspect.isfunction(fn) and hasattr(fn, SPEC_ATTR)}


def signature(fn) -> str:
    return f"{fn.__name__}({', '.join(inspect.signature(fn).parameters)})"


def doc_code() -> list[str]:
    """Every piece of code in docs/hooks.md: fenced blocks (line by line) and inline spans."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    lines = [line.strip() for block in fenced for line in block.splitlines()]
    return lines + [span.strip() for span in re.findall(r"`([^`\n]+)`", prose)]


def test_hooks_md_exists_and_the_core_offers_hooks():
    assert HOOKS_DOC.is_file(), "docs/hooks.md documents the core hooks"
    assert {"permissions", "blueprints", "nav_items", "deadline_for", "app_ready"} <= set(core_hooks())


@pytest.mark.parametrize("name", sorted(core_hooks()))
def test_every_hook_is_documented_with_its_exact_signature(name):
    sig = signature(core_hooks()[name])
    code = doc_code()
    assert any(sig == c or c.startswith(sig + " ") or c.startswith(sig + "  #") for c in code), (
        f"docs/hooks.md must show `{sig}` in code (a ```python block line or an inline span)")


@pytest.mark.parametrize("name", sorted(core_hooks()))
def test_every_hook_has_a_behavioural_test(name):
    pattern = re.compile(rf"^\s*def test_hook_{re.escape(name)}\(", flags=re.M)
    found = [p for p in TESTS.rglob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert found, f"no `def test_hook_{name}(` under tests/ (see tests/test_hooks.py)"


@pytest.mark.parametrize("name", sorted(core_hooks()))
def test_every_hookspec_has_a_docstring(name):
    doc = inspect.getdoc(core_hooks()[name]) or ""
    assert len(doc) > 20, f"core/hookspecs.py: {name}() needs a docstring saying when it is called and what it returns"


def test_first_result_hooks_are_documented_as_such():
    text = HOOKS_DOC.read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### `?([a-z_]+)\(.*?\n(.*?)(?=^### |\Z)", text, flags=re.S | re.M))
    for name, fn in core_hooks().items():
        if getattr(fn, SPEC_ATTR).get("firstresult"):
            assert "first" in sections.get(name, "").lower(), f"say in docs/hooks.md that {name} is first-result"


def test_the_docs_describe_no_hook_the_core_does_not_have():
    text = HOOKS_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `?([a-z_]+)\(", text, flags=re.M))
    assert documented, "each hook has a `### name(args)` section"
    assert documented - set(core_hooks()) == set(), "docs/hooks.md documents hooks that do not exist"
    assert set(core_hooks()) - documented == set(), "every hook gets its own ### section"


def _plugins_with_hookspecs() -> list[tuple[str, str]]:
    """(code, package) of every installed plugin that ships a hookspecs.py (no plugin code imported)."""
    from core.manifest import package_path

    found = []
    for ep in entry_points(group="propdesk.plugins"):
        try:
            if (package_path(ep.value) / "hookspecs.py").is_file():
                found.append((ep.name, ep.value))
        except Exception:  # not importable here: the plugin-system tests report that
            continue
    return sorted(set(found))


@pytest.mark.parametrize("code,package", _plugins_with_hookspecs())
def test_plugin_event_hooks_are_prefixed_with_their_plugin_code_and_documented(code, package):
    module = importlib.import_module(package + ".hookspecs")
    specs = {n: f for n, f in vars(module).items() if inspect.isfunction(f) and hasattr(f, SPEC_ATTR)}
    assert specs, f"{module.__name__} declares no hook"
    for name, fn in specs.items():
        assert name.startswith(code + "_"), f"{name}: a plugin's event hooks start with its code ({code}_)"
        assert len(inspect.getdoc(fn) or "") > 20, f"{module.__name__}.{name} needs a docstring"

"""What a plugin author reads and runs: the examples of docs/writing-plugins.md work as
written, the scaffold matches them, and the tools they are told to use tell them enough."""

from __future__ import annotations

import logging
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "writing-plugins.md"


def guide_section(title_start: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"\n## {title_start}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def code_blocks(section: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", section, re.S)


# -- translations ---------------------------------------------------------------------------
def _write_catalog(folder: Path, entries: dict[str, str]) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    cat = Catalog(locale="zh_CN")
    for msgid, text in entries.items():
        cat.add(msgid, text)
    target = folder / "zh_CN" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.po").open("wb") as f:
        write_po(f, cat)
    with (target / "messages.mo").open("wb") as f:
        write_mo(f, cat)


def test_a_translation_clash_is_logged_with_both_plugins_named(make_app, temp_plugin, tmp_path, caplog):
    """A third-party catalog that translates "Period" otherwise than the surveys plugin does."""
    code, package = temp_plugin("lease_desk")
    _write_catalog(tmp_path / "temp_plugins" / package / "translations", {"Period": "租期"})
    app = make_app(extra={code: package})
    from core import i18n

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), caplog.at_level(logging.WARNING):
        i18n.get_translations()
    clash = [r.getMessage() for r in caplog.records if "translation clash" in r.getMessage()
             and "'Period'" in r.getMessage()]
    assert clash, caplog.text
    assert "plugin 'surveys'" in clash[0] and "plugin 'lease_desk'" in clash[0], clash[0]


def test_the_wording_tool_shows_how_each_catalog_translates_a_word(tmp_path):
    from core import i18n_tools

    _write_catalog(tmp_path / "mine", {"Period": "租期"})
    rows = i18n_tools.wording(["Period", "Active"], extra=[tmp_path / "mine"])
    assert ("plugin 'surveys'", "zh_CN", None, "Period", "调查期间") in rows
    assert ("the core", "zh_CN", None, "Active", "启用") in rows
    assert (str(tmp_path / "mine"), "zh_CN", None, "Period", "租期") in rows
    clashing = i18n_tools.clashes(extra=[tmp_path / "mine"])
    assert [c[0][2] for c in clashing] == ["Period"]


# -- migrations: the commands of §6, as written ----------------------------------------------
def _env(**extra) -> dict:
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("PROPDESK_TEST_DB", "PROPDESK_TEST_DATABASE_URL", "PROPDESK_DATABASE_URL")}
    env.update(PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def test_the_guide_s_migration_commands_write_a_revision_that_passes_ruff_and_applies(tmp_path):
    """Scaffold ``car_park``, then run §6's shell blocks verbatim from the project's folder
    (PropDesk's ``wsgi.py`` stands in for a shim that loads the not pip-installed plugin)."""
    import shutil
    import subprocess
    import sys

    from core.scaffold import scaffold

    project = scaffold("car_park", str(tmp_path))
    shim = tmp_path / "propdesk"
    shim.mkdir()
    (shim / "wsgi.py").write_text("from core import create_app\n\n"
                                  "app = create_app({'PROPDESK_EXTRA_PLUGINS': {'car_park': 'propdesk_car_park'}})\n")
    first, later = code_blocks(guide_section("6. Migrations"), "sh")
    script = first.replace("export PROPDESK=../propdesk", f"export PROPDESK={shim}") + later
    bindir = str(Path(sys.executable).parent)
    run = subprocess.run(["bash", "-e", "-c", script], cwd=project, capture_output=True, text=True, timeout=300,
                         env=_env(PATH=f"{bindir}:/usr/bin:/bin", PYTHONPATH=str(project),
                                  PROPDESK_INSTANCE=str(tmp_path / "instance")))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "enabled: car_park" in run.stdout
    versions = project / "propdesk_car_park" / "migrations" / "versions"
    first_rev = (versions / "car_park_0001_car_park_initial.py").read_text()
    assert "down_revision = None" in first_rev and "branch_labels = ('car_park',)" in first_rev
    assert 'depends_on = ("core_0001",)' in first_rev and "op.create_table('car_park_entry'" in first_rev
    assert (versions / "car_park_0002_car_park_plates.py").is_file()
    ruff = shutil.which("ruff", path=bindir) or shutil.which("ruff")
    if ruff:
        lint = subprocess.run([ruff, "check", "--no-cache", "."], cwd=project, capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout


# -- models: §5's example runs as written ----------------------------------------------------
def test_the_guide_s_model_example_defines_money_and_datetime_columns(monkeypatch):
    """``Money()`` is a column factory: the guide's model runs as written (on a metadata of its
    own, so the sample plugin's real ``parking_space`` is not disturbed)."""
    import sys
    import types
    from decimal import Decimal

    import sqlalchemy as sa
    from flask_sqlalchemy import SQLAlchemy

    import core.extensions
    from core.models import UTCDateTime

    monkeypatch.setattr(core.extensions, "db", SQLAlchemy())
    (block,) = [b for b in code_blocks(guide_section("5. Models"), "python") if "class ParkingSpace" in b]
    module = types.ModuleType("guide_models")
    monkeypatch.setitem(sys.modules, "guide_models", module)
    exec(compile(block, "writing-plugins.md §5", "exec"), module.__dict__)
    columns = module.ParkingSpace.__table__.c
    assert isinstance(columns.monthly_rent.type, sa.Numeric) and columns.monthly_rent.type.scale == 2
    assert columns.monthly_rent.type.asdecimal and columns.monthly_rent.default.arg == Decimal("0.00")
    assert columns.deposit.nullable and not columns.monthly_rent.nullable
    assert isinstance(columns.checked_at.type, UTCDateTime) and "estate_id" in columns


# -- the reference of lists, filters and dates -----------------------------------------------
def test_the_list_reference_matches_the_real_signatures_and_its_example_compiles():
    import inspect

    from core.i18n import today_local
    from core.listing import Column, ListPage
    from core.views.estates import estate_choices

    section = guide_section("7. Pages")
    reference = section[section.index("### Reference: lists"):]
    example = code_blocks(reference, "python")[0]
    compile(example, "writing-plugins.md §7 reference", "exec")
    exec(compile(example.split("\n\n\nclass ")[0], "imports", "exec"), {})  # every name it imports exists

    def documented(name):
        found = re.search(rf"\*\*`{name}\((.*?)\)`\*\*", reference)
        assert found, name
        return found.group(1)

    def real(obj):
        params = list(inspect.signature(obj).parameters.values())
        return ", ".join(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}"
                         .replace("'", '"') for p in params if p.name != "self")

    assert documented("ListPage") == real(ListPage.__init__)
    assert documented("Column") == real(Column)
    assert documented("estate_choices") == real(estate_choices) == ""
    assert documented("today_local") == real(today_local) == ""
    for fmt in ("money", "date", "datetime", "number", "area"):
        assert f'`"{fmt}"`' in reference, fmt


# -- testing: §15 shows what `plugins new` writes ------------------------------------------
def test_the_guide_s_test_snippets_are_what_plugins_new_generates(tmp_path):
    from core.scaffold import scaffold

    project = scaffold("car_park", str(tmp_path))
    conftest, first_test = code_blocks(guide_section("15. Testing"), "python")
    assert conftest == (project / "tests" / "conftest.py").read_text(encoding="utf-8")
    generated = (project / "tests" / "test_car_park.py").read_text(encoding="utf-8")
    assert generated.startswith(first_test)
    for snippet in (conftest, first_test):
        compile(snippet, "writing-plugins.md §15", "exec")


def test_every_built_in_plugin_has_its_readme_naming_its_permissions_and_jobs():
    """The README promises "Each has a README in its folder"."""
    import ast

    for folder in sorted((ROOT / "plugins").iterdir()):
        if not (folder / "__manifest__.py").exists():
            continue
        readme = folder / "README.md"
        assert readme.is_file(), f"{folder.name} has no README.md"
        text = readme.read_text(encoding="utf-8")
        assert text.lower().startswith(f"# {folder.name} "), folder.name
        source = (folder / "__init__.py").read_text(encoding="utf-8")
        codes = {node.args[0].value for node in ast.walk(ast.parse(source))
                 if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("Permission", "Job")
                 and node.args and isinstance(node.args[0], ast.Constant)}
        assert codes, folder.name
        for code in codes:  # permission and job codes the plugin declares
            assert f"`{code}`" in text, f"{folder.name}/README.md does not mention {code}"

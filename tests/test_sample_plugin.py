"""Third-party plugins: the sample distribution in tests/sample_plugin, and ``flask plugins new``.

The sample's own tests (``tests/sample_plugin/tests``: no ``__init__.py``, module
names ``test_parking_*`` that clash with nobody's) are collected by the main suite
through ``testpaths = ["tests"]``; CI runs ``pip install -e tests/sample_plugin`` first.
Here we check what a plugin author relies on around them: the distribution
ships every runtime file, a pip-installed plugin is discovered, migrated and
switched like a built-in, and the scaffold produces a project that passes its
own tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect

from core.manifest import read_manifest
from core.testing import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "sample_plugin"
PACKAGE = SAMPLE / "propdesk_parking"


def installed() -> bool:
    return any(ep.name == "parking" for ep in entry_points(group="propdesk.plugins"))


def _run(args, cwd, timeout=300):
    # The child gets a SQLite database of its own: on the PostgreSQL pass it must not reset ours.
    env = {k: v for k, v in os.environ.items() if k not in ("PROPDESK_TEST_DB", "PROPDESK_TEST_DATABASE_URL")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


# -- the sample distribution --------------------------------------------------------------
def test_the_sample_declares_its_entry_point_and_ships_every_runtime_file():
    meta = tomllib.loads((SAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["name"] == "propdesk-plugin-parking"
    assert meta["project"]["entry-points"]["propdesk.plugins"] == {"parking": "propdesk_parking"}
    patterns = meta["tool"]["setuptools"]["package-data"]["propdesk_parking"]
    shipped = {p for pattern in patterns for p in PACKAGE.glob(pattern)}
    needed = [PACKAGE / "__manifest__.py", *PACKAGE.glob("templates/**/*.html"),
              *PACKAGE.glob("migrations/versions/*.py"), *PACKAGE.glob("translations/*/LC_MESSAGES/*.po")]
    assert len(needed) >= 8 and not [str(p.relative_to(SAMPLE)) for p in needed if p not in shipped]


def test_the_sample_manifest_and_first_migration_follow_the_contract():
    manifest = read_manifest(PACKAGE, expected_code="parking")
    assert (manifest.name, manifest.depends, manifest.uses) == ("Parking", [], ["notices"])
    scope: dict = {}
    source = next(PACKAGE.glob("migrations/versions/parking_0001_*.py")).read_text(encoding="utf-8")
    exec(compile(source.split("def upgrade")[0], "migration", "exec"), scope)  # the header only
    assert (scope["revision"], scope["down_revision"]) == ("parking_0001", None)
    assert scope["branch_labels"] == ("parking",) and scope["depends_on"] == ("core_0001",)
    tables = {line.split("'")[1] for line in source.splitlines() if "op.create_table(" in line}
    assert tables == {"parking_space", "parking_assignment", "parking_alert"}  # all prefixed


def test_the_main_suite_collects_the_sample_plugin_s_tests_without_name_clashes():
    result = _run([sys.executable, "-m", "pytest", "--collect-only", "-q"], cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    collected = result.stdout.splitlines()
    assert any(line.startswith("tests/sample_plugin/tests/test_parking_pages.py::") for line in collected)
    assert any(line.startswith("tests/sample_plugin/tests/test_parking_services.py::") for line in collected)


def test_a_pip_installed_plugin_is_discovered_migrated_and_switched_like_a_built_in(make_app, tmp_path):
    if not installed():
        skip_or_fail("propdesk-plugin-parking is not installed (pip install -e tests/sample_plugin)")
    # A site of its own: `flask upgrade` on an empty database, as after `pip install` + restart.
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'site.db'}")
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask --app wsgi ...` does
        from core.extensions import db

        assert "parking" in runner.invoke(args=["upgrade"]).output
        tables = set(sa_inspect(db.engine).get_table_names())
        assert {"parking_space", "parking_assignment", "parking_alert"} <= tables
        assert app.extensions["propdesk_plugins"].infos["parking"].package == "propdesk_parking"
        db.session.remove()
    listing = runner.invoke(args=["plugins", "list"]).output
    assert any(line.split()[:2] == ["parking", "enabled"] for line in listing.splitlines())
    assert "disabled: parking (data kept)" in runner.invoke(args=["plugins", "disable", "parking"]).output
    assert "enabled: parking" in runner.invoke(args=["plugins", "enable", "parking"]).output
    jobs = runner.invoke(args=["jobs", "list"]).output
    assert "parking.close_stale_alerts" in jobs


# -- flask plugins new ---------------------------------------------------------------------
@pytest.fixture
def cli(make_app):
    return make_app(plugins=[]).test_cli_runner()


def test_plugins_new_scaffolds_a_project_that_passes_its_own_tests(cli, tmp_path):
    result = cli.invoke(args=["plugins", "new", "car_wash", "--dest", str(tmp_path)])
    project = tmp_path / "propdesk-plugin-car_wash"
    assert result.exit_code == 0 and f"created {project}" in result.output
    package = project / "propdesk_car_wash"
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["entry-points"]["propdesk.plugins"] == {"car_wash": "propdesk_car_wash"}
    assert read_manifest(package, expected_code="car_wash").name == "Car wash"
    for rel in ("__init__.py", "models.py", "views.py", "templates/car_wash/index.html",
                "migrations/versions/car_wash_0001_initial.py"):
        assert (package / rel).is_file(), rel
    assert '{% extends "base.html" %}' in (package / "templates/car_wash/index.html").read_text()
    migration = (package / "migrations/versions/car_wash_0001_initial.py").read_text()
    assert 'branch_labels = ("car_wash",)' in migration and 'depends_on = ("core_0001",)' in migration
    # Its tests run against PropDesk with the shipped fixtures (its migration included).
    run = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project)
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout[-3000:] + run.stderr[-2000:]
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff:
        lint = _run([ruff, "check", "--no-cache", "."], cwd=project)
        assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize("name", ["Parking", "p", "x" * 41, "car-wash", "1st_floor", "car__wash",
                                  "_parking", "parking_", "core", "admin", "jobs"])
def test_plugins_new_refuses_a_name_that_is_not_a_usable_plugin_code(cli, tmp_path, name):
    result = cli.invoke(args=["plugins", "new", name, "--dest", str(tmp_path)])
    assert result.exit_code != 0 and f"plugin name {name!r}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_plugins_new_never_overwrites_an_existing_folder(cli, tmp_path):
    from core.scaffold import scaffold

    mine = tmp_path / "propdesk-plugin-bike_shed"
    mine.mkdir()
    (mine / "notes.txt").write_text("my work")
    result = cli.invoke(args=["plugins", "new", "bike_shed", "--dest", str(tmp_path)])
    assert result.exit_code != 0 and "exists already; nothing was written" in result.output
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    with pytest.raises(ValueError, match="exists already"):
        scaffold("bike_shed", str(tmp_path))
    assert scaffold("bike_shed_b2", str(tmp_path)).name == "propdesk-plugin-bike_shed_b2"


@pytest.mark.parametrize("name", ["notices", "fees", "parking"])
def test_plugins_new_refuses_the_code_of_an_installed_plugin(cli, tmp_path, name):
    """Following the guide (``plugins new parking``) with the sample installed, or naming a
    built-in, would give two plugins one URL prefix, one set of tables and one package."""
    if name == "parking" and not installed():
        skip_or_fail("propdesk-plugin-parking is not installed (pip install -e tests/sample_plugin)")
    result = cli.invoke(args=["plugins", "new", name, "--dest", str(tmp_path)])
    assert result.exit_code != 0 and f"plugin name {name!r} is taken" in result.output, result.output
    assert list(tmp_path.iterdir()) == []

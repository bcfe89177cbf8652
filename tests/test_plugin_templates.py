"""The start-up check of plugin templates remembers folders that parsed (issue 15, start-up)."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from core import plugin_templates


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(plugin_templates, "_checked", {})  # no process-wide memory
    root = tmp_path / "tpl"
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "page.html").write_text("{% if x %}fine{% endif %}\n", encoding="utf-8")
    return root


def _app(tmp_path):
    return Flask("t", instance_path=str(tmp_path / "instance"))


def _check(app, root):
    plugin_templates._checked.clear()  # as a new process would
    return plugin_templates.template_errors(app, [Blueprint("demo", __name__, template_folder=str(root))])


def test_a_folder_that_parsed_is_not_parsed_again_until_a_file_changes(tmp_path, folder, monkeypatch):
    app = _app(tmp_path)
    parsed = []
    real = plugin_templates._first_error
    monkeypatch.setattr(plugin_templates, "_first_error",
                        lambda *a: parsed.append(a[1]) or real(*a))
    assert _check(app, folder) is None
    assert parsed == [folder]
    assert (tmp_path / "instance" / "cache" / plugin_templates.CACHE_NAME).is_file()
    assert _check(app, folder) is None
    assert parsed == [folder]  # the second start read the digest, parsed nothing

    # A syntax error written into the same file is found on the next start.
    (folder / "demo" / "page.html").write_text("{% if x %}never closed\n", encoding="utf-8")
    assert _check(app, folder) == "demo/page.html, line 1: Unexpected end of template. " \
        "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. " \
        "The innermost block that needs to be closed is 'if'."
    assert len(parsed) == 2
    # ... and on every start after that (an error is never remembered).
    assert _check(app, folder).startswith("demo/page.html, line 1")
    assert len(parsed) == 3


def test_a_new_broken_file_in_a_remembered_folder_is_found(tmp_path, folder):
    app = _app(tmp_path)
    assert _check(app, folder) is None
    (folder / "demo" / "other.html").write_text("{{ x }", encoding="utf-8")
    assert (_check(app, folder) or "").startswith("demo/other.html, line 1:")


def test_an_unwritable_instance_folder_still_checks(tmp_path, folder):
    (tmp_path / "instance").write_text("a file, not a folder", encoding="utf-8")
    app = _app(tmp_path)
    assert _check(app, folder) is None
    (folder / "demo" / "page.html").write_text("{% endif %}", encoding="utf-8")
    assert (_check(app, folder) or "").startswith("demo/page.html, line 1:")

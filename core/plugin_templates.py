"""Check a plugin's templates when it loads, so a syntax error skips the plugin
(with the file and line on the Modules page) instead of failing its pages one by one."""

from __future__ import annotations

from pathlib import Path

#: folder → first error or None: checked once per process (many apps of one process, as
#: in the tests, parse once; a changed template in development restarts the process).
_checked: dict[str, str | None] = {}


def template_errors(app, blueprints) -> str | None:
    """The first template of ``blueprints``' template folders that does not parse."""
    from jinja2 import TemplateSyntaxError

    for bp in blueprints:
        folder = bp.jinja_loader.searchpath[0] if bp.jinja_loader is not None else None
        if folder is None:
            continue
        if folder not in _checked:
            _checked[folder] = _first_error(app, Path(folder), TemplateSyntaxError)
        if _checked[folder]:
            return _checked[folder]
    return None


def _first_error(app, root: Path, syntax_error) -> str | None:
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        try:
            app.jinja_env.parse(path.read_text(encoding="utf-8"), name, str(path))
        except syntax_error as exc:
            return f"{name}, line {exc.lineno}: {exc.message}"
        except (OSError, UnicodeDecodeError) as exc:
            return f"{name}: {type(exc).__name__}: {exc}"
    return None

"""Check a plugin's templates when it loads, so a syntax error skips the plugin
(with the file and line on the Modules page) instead of failing its pages one by one."""

from __future__ import annotations

from pathlib import Path

#: (path, mtime_ns, size) → error or None: many apps of one process (tests) parse once.
_checked: dict[tuple[str, int, int], str | None] = {}


def template_errors(app, blueprints) -> str | None:
    """The first template of ``blueprints``' template folders that does not parse."""
    from jinja2 import TemplateSyntaxError

    for bp in blueprints:
        folder = bp.jinja_loader.searchpath[0] if bp.jinja_loader is not None else None
        if folder is None:
            continue
        root = Path(folder)
        for path in sorted(root.rglob("*.html")):
            st = path.stat()
            key = (str(path), st.st_mtime_ns, st.st_size)
            if key not in _checked:
                name = path.relative_to(root).as_posix()
                try:
                    app.jinja_env.parse(path.read_text(encoding="utf-8"), name, str(path))
                    _checked[key] = None
                except TemplateSyntaxError as exc:
                    _checked[key] = f"{name}, line {exc.lineno}: {exc.message}"
                except (OSError, UnicodeDecodeError) as exc:
                    _checked[key] = f"{name}: {type(exc).__name__}: {exc}"
            if _checked[key]:
                return _checked[key]
    return None

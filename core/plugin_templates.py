"""Check a plugin's templates when it loads, so a syntax error skips the plugin
(with the file and line on the Modules page) instead of failing its pages one by one.

Parsing every template of twenty plugins (~300 files) was a quarter of the start-up
time, on every start, for files that had not changed. A folder whose templates all
parsed is remembered in the instance folder (``cache/templates-ok.json``) by a digest
of its files' names and contents and of Jinja's version: the next start reads and
hashes the files (a few milliseconds) and parses them only when that digest is new —
any edited, added or removed file, or another Jinja, parses the folder again. An error
is never remembered, so a broken folder is reported on every start, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

#: folder → first error or None: checked once per process (many apps of one process, as
#: in the tests, parse once; a changed template in development restarts the process).
_checked: dict[str, str | None] = {}

CACHE_NAME = "templates-ok.json"


def template_errors(app, blueprints) -> str | None:
    """The first template of ``blueprints``' template folders that does not parse."""
    from jinja2 import TemplateSyntaxError

    for bp in blueprints:
        folder = bp.jinja_loader.searchpath[0] if bp.jinja_loader is not None else None
        if folder is None:
            continue
        if folder not in _checked:
            _checked[folder] = _checked_folder(app, Path(folder), TemplateSyntaxError)
        if _checked[folder]:
            return _checked[folder]
    return None


def _checked_folder(app, root: Path, syntax_error) -> str | None:
    try:
        files = sorted(root.rglob("*.html"))
        digest = _digest(root, files)
    except OSError as exc:
        return f"{root.name}: {type(exc).__name__}: {exc}"
    cache = Path(app.instance_path) / "cache" / CACHE_NAME
    known = _read(cache)
    if known.get(str(root)) == digest:
        return None
    error = _first_error(app, root, files, syntax_error)
    if error is None:
        known[str(root)] = digest
        _write(cache, known)
    return error


def _digest(root: Path, files: list[Path]) -> str:
    import jinja2

    h = hashlib.blake2b(digest_size=16)
    h.update(jinja2.__version__.encode())
    for path in files:
        h.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def _read(cache: Path) -> dict:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(cache: Path, known: dict) -> None:
    """Best effort: a read-only or missing instance folder only means parsing next time too."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=0, sort_keys=True), encoding="utf-8")
        tmp.replace(cache)  # atomic: two workers starting together never read half a file
    except OSError:
        pass


def _first_error(app, root: Path, files: list[Path], syntax_error) -> str | None:
    for path in files:
        name = path.relative_to(root).as_posix()
        try:
            app.jinja_env.parse(path.read_text(encoding="utf-8"), name, str(path))
        except syntax_error as exc:
            return f"{name}, line {exc.lineno}: {exc.message}"
        except (OSError, UnicodeDecodeError) as exc:
            return f"{name}: {type(exc).__name__}: {exc}"
    return None

"""Translation catalogs: ``python -m core.i18n_tools extract|compile|check|wording``.

``check [FOLDER…]`` also compares the given translation folders (a plugin of your own)
with every catalog; ``wording WORD…`` shows how the core and each plugin translate a msgid.

The core's catalog (``translations/``) covers ``core/`` and ``templates/``;
each plugin keeps its own catalog in ``<plugin>/translations/``, extracted
from its own folder. ``make run`` and ``make test`` compile them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from core.config import ROOT

LOCALES = ["zh_CN"]
BABEL_CFG = ROOT / "babel.cfg"


def catalogs() -> list[tuple[Path, list[Path]]]:
    """(translations folder, source folders) for the core and each built-in plugin."""
    out = [(ROOT / "translations", [ROOT / "core", ROOT / "templates"])]
    for plugin in sorted((ROOT / "plugins").iterdir()):
        if (plugin / "__manifest__.py").exists():
            out.append((plugin / "translations", [plugin]))
    return out


def compile_all(quiet: bool = True) -> None:
    """Compile every ``.po`` newer than its ``.mo``: the core's, the built-in plugins', and those
    of installed third-party plugins whose folder we may write (a plugin installed with
    ``pip install -e`` while its authors work on it; a packaged plugin ships its ``.mo``)."""
    import os

    folders = [tdir for tdir, _src in catalogs()]
    folders += [t for _owner, t in installed_catalogs() if t not in folders and os.access(t, os.W_OK)]
    for tdir in folders:
        for po in tdir.glob("*/LC_MESSAGES/messages.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)
            if not quiet:
                print(f"compiled {mo}")


def _extract(tdir: Path, src: list[Path], pot: Path, quiet: bool = False) -> None:
    """The msgids of ``src`` (and of the plugin's manifest) written to ``pot``."""
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    subprocess.run([pybabel, "extract", "-F", str(BABEL_CFG), "-k", "_l", "-k", "lazy_pgettext:1c,2",
                    "--no-location",
                    "--sort-output", "-o", str(pot), *map(str, src)], check=True, capture_output=quiet)
    if tdir.parent != ROOT:
        _add_manifest_texts(pot, tdir.parent)


def extract_all() -> None:
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    for tdir, src in catalogs():
        tdir.mkdir(parents=True, exist_ok=True)
        pot = tdir / "messages.pot"
        _extract(tdir, src, pot)
        for loc in LOCALES:
            po = tdir / loc / "LC_MESSAGES" / "messages.po"
            cmd = "update" if po.exists() else "init"
            subprocess.run([pybabel, cmd, "-i", str(pot), "-d", str(tdir), "-l", loc]
                           + (["--no-fuzzy-matching"] if cmd == "update" else []), check=True)


def _add_manifest_texts(pot: Path, plugin_dir: Path) -> None:
    """The plugin's name and summary from ``__manifest__.py`` (the Modules page shows them
    through ``_()``): a literal dict that no extractor reads, so they are added here."""
    from core.manifest import read_manifest

    manifest = read_manifest(plugin_dir)
    with pot.open("rb") as f:
        catalog = read_po(f)
    for text in (manifest.name, manifest.summary):
        if text and text not in catalog:
            catalog.add(text)
    with pot.open("wb") as f:
        write_po(f, catalog, omit_header=False, sort_output=True)


def untranslated() -> dict[str, list[str]]:
    """msgids without a Chinese translation, per catalog (the completeness test uses this)."""
    missing: dict[str, list[str]] = {}
    for tdir, _src in catalogs():
        for loc in LOCALES:
            po = tdir / loc / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                missing[str(po)] = ["<catalog missing>"]
                continue
            with po.open("rb") as f:
                catalog = read_po(f)
            bad = [str(m.id) for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)]
            if bad:
                missing[str(po)] = bad
    return missing


def unused(tdir: Path, src: list[Path]) -> list[str]:
    """msgids of the catalog in ``tdir`` that its sources (``src``, see :func:`catalogs`) no
    longer use: a translation nobody reads, left behind when a text changed."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        _extract(tdir, src, pot, quiet=True)
        with pot.open("rb") as f:
            used = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(f) if m.id}
    out = []
    for loc in LOCALES:
        po = tdir / loc / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as f:
            for m in read_po(f):
                msgid = m.id if isinstance(m.id, str) else (m.id[0] if m.id else "")
                if msgid and (m.context, msgid) not in used and msgid not in out:
                    out.append(msgid)
    return out


def clashes(extra: list[Path] = ()) -> list[tuple]:
    """msgids (with their context) that two catalogs — the built-in ones, plus the ``extra``
    translation folders (installed third-party plugins) — translate differently: the merged
    catalog would show one of them on the other's pages."""
    seen: dict[tuple, tuple[str, object]] = {}
    out = []
    for tdir in [t for t, _src in catalogs()] + list(extra):
        for loc in LOCALES:
            po = tdir / loc / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                continue
            with po.open("rb") as f:
                catalog = read_po(f)
            for m in catalog:
                if not m.id or not m.string:
                    continue
                key = (loc, m.context, m.id if isinstance(m.id, str) else m.id[0])
                if key in seen and seen[key][1] != m.string:
                    out.append((key, seen[key], (str(po), m.string)))
                seen.setdefault(key, (str(po), m.string))
    return out


def installed_catalogs() -> list[tuple[str, Path]]:
    """``(owner, translations folder)`` of the core, each built-in plugin and each installed
    third-party plugin (found through its entry point, without importing it)."""
    from importlib.metadata import entry_points

    from core.manifest import ManifestError, package_path

    out = [("the core", ROOT / "translations")]
    out += [(f"plugin {t.parent.name!r}", t) for t, _src in catalogs()[1:]]
    for ep in sorted(entry_points(group="propdesk.plugins"), key=lambda e: e.name):
        if ep.value.startswith("plugins."):
            continue
        try:
            out.append((f"plugin {ep.name!r}", package_path(ep.value) / "translations"))
        except (ManifestError, ImportError, ValueError):
            continue
    return out


def wording(msgids: list[str], extra: list[Path] = ()) -> list[tuple[str, str, str | None, str, str]]:
    """How each catalog translates ``msgids`` (with and without a context), as
    ``(owner, locale, context, msgid, text)``: reuse this wording for the same meaning,
    or give yours a context (``pgettext``) if it means something else."""
    wanted = set(msgids)
    found = []
    for owner, tdir in installed_catalogs() + [(str(p), Path(p)) for p in extra]:
        for loc in LOCALES:
            po = tdir / loc / "LC_MESSAGES" / "messages.po"
            if not po.exists():
                continue
            with po.open("rb") as f:
                catalog = read_po(f)
            for m in catalog:
                msgid = m.id if isinstance(m.id, str) else (m.id[0] if m.id else "")
                if msgid in wanted and m.string:
                    text = m.string if isinstance(m.string, str) else m.string[0]
                    found.append((owner, loc, m.context, msgid, text))
    return found


if __name__ == "__main__":
    verb = sys.argv[1] if len(sys.argv) > 1 else "compile"
    if verb == "extract":
        extract_all()
    elif verb == "compile":
        compile_all()
    elif verb == "check":
        gaps = untranslated()
        for path, ids in gaps.items():
            print(path, len(ids))
            for i in ids:
                print("   ", i)
        clashing = clashes(extra=[Path(p) for p in sys.argv[2:]])
        for (loc, context, msgid), first, later in clashing:
            print(f"clash ({loc}) {msgid!r}{f' [{context}]' if context else ''}: "
                  f"{first[1]!r} in {first[0]}, {later[1]!r} in {later[0]}")
        for tdir, src in catalogs():  # reported, not failed: the test suite checks them
            for msgid in unused(tdir, src):
                print(f"unused in {tdir}: {msgid!r}")
        sys.exit(1 if gaps or clashing else 0)
    elif verb == "wording":
        rows = wording(sys.argv[2:])
        for owner, loc, context, msgid, text in rows:
            print(f"{loc}  {msgid!r}{f' [context {context!r}]' if context else ''} = {text!r}  ({owner})")
        if not rows:
            print("not translated by any catalog yet")
    else:
        sys.exit(f"unknown verb {verb!r}: extract, compile, check [FOLDER…] or wording WORD…")

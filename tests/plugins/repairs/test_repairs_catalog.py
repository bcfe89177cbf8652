"""The repairs catalog holds only what the plugin's code and templates say (issue 15: a
"Fairly satisfied" left over from an older satisfaction scale was translated but never shown)."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from core.i18n_tools import BABEL_CFG
from core.manifest import read_manifest

PLUGIN = Path(__file__).resolve().parents[3] / "plugins" / "repairs"


def test_every_msgid_of_the_repairs_catalog_is_used_by_the_plugin(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = str(Path(sys.executable).with_name("pybabel"))
    subprocess.run([pybabel, "extract", "-F", str(BABEL_CFG), "-k", "_l", "-k", "lazy_pgettext:1c,2",
                    "-o", str(pot), str(PLUGIN)], check=True, capture_output=True)
    with pot.open("rb") as f:
        used = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    manifest = read_manifest(PLUGIN)
    used |= {manifest.name, manifest.summary}
    with (PLUGIN / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert sorted(catalog - used) == []

"""The Chinese (zh_CN) catalogs: complete, placeholder-safe, consistent, and really used.

The core catalog lives in ``translations/``, each built-in plugin keeps its own in
``<plugin>/translations/``; Flask-Babel merges them. The ``.mo`` files are git-ignored,
so this module compiles them before any app is created.
"""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from core import i18n_tools

i18n_tools.compile_all()

#: The built-in plugins: those with a catalog of their own under ``plugins/``.
BUILT_IN = [tdir.parent.name for tdir, _sources in i18n_tools.catalogs()[1:]]

#: The pages are checked with the built-in plugins only, whatever else is installed in the
#: environment: a plugin whose catalog Flask-Babel cannot find resets the plural rule of the
#: merged catalog to English (see ``test_every_catalog_is_found_...`` below).
pytestmark = pytest.mark.plugins(*BUILT_IN)

#: A %-placeholder as Python's %-formatting reads it: ``%(name)s``, ``%(num)d``, ``%s``, ``%%``.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def _zh_catalogs():
    for tdir, _sources in i18n_tools.catalogs():
        po = tdir / "zh_CN" / "LC_MESSAGES" / "messages.po"
        if po.exists():
            with po.open("rb") as f:
                yield po, read_po(f)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_catalog_is_completely_translated():
    assert i18n_tools.untranslated() == {}


def test_every_catalog_exists_and_is_not_empty():
    found = {str(po) for po, _cat in _zh_catalogs()}
    for tdir, _sources in i18n_tools.catalogs():
        assert str(tdir / "zh_CN" / "LC_MESSAGES" / "messages.po") in found
    assert all(len([m for m in cat if m.id]) > 0 for _po, cat in _zh_catalogs())


def test_translations_keep_exactly_the_placeholders_of_their_msgid():
    bad = []
    for po, cat in _zh_catalogs():
        for m in cat:
            if not m.id:
                continue
            if isinstance(m.id, str):
                pairs = [(m.id, m.string)]
            else:
                # zh_CN has one plural form: msgstr[0] stands for every count, like msgid_plural.
                singular, plural = m.id[0], m.id[1]
                assert set(_placeholders(singular)) <= set(_placeholders(plural)), (po, m.id)
                pairs = [(plural, s) for s in m.string]
            for msgid, msgstr in pairs:
                if _placeholders(msgid) != _placeholders(msgstr or ""):
                    bad.append(f"{po.parent.parent.parent.parent.name}: {msgid!r} -> {msgstr!r}")
    assert bad == []


def test_translated_strings_format_without_error():
    for _po, cat in _zh_catalogs():
        for m in cat:
            if not m.id:
                continue
            msgid = m.id if isinstance(m.id, str) else m.id[1]
            strings = [m.string] if isinstance(m.string, str) else list(m.string)
            names = re.findall(r"%\((\w+)\)", msgid)
            if not names:
                continue
            values = {n: 3 for n in names}
            for s in strings:
                s % values  # raises on a broken placeholder


def _sample_plugin_translations() -> list:
    """The third-party sample's translations folder, when it is installed (CI installs it)."""
    from importlib.util import find_spec

    from core.manifest import package_path

    return [package_path("propdesk_parking") / "translations"] if find_spec("propdesk_parking") else []


def test_a_msgid_shared_by_several_catalogs_reads_the_same_everywhere():
    # Flask-Babel merges the catalogs and a later (plugin) catalog overrides the core's,
    # so a msgid translated differently in two catalogs would silently change the other's
    # pages. A word meaning different things gets a context (pgettext): the complaint
    # category "Parking" (停车) is not the parking plugin's name (车位管理).
    assert i18n_tools.clashes(extra=_sample_plugin_translations()) == []


def test_merging_reports_a_msgid_two_catalogs_translate_differently(tmp_path):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    from core.i18n import merge_catalogs

    def catalog(name, entries):
        cat = Catalog(locale="zh_CN")
        for msgid, text, context in entries:
            cat.add(msgid, text, context=context)
        folder = tmp_path / name / "zh_CN" / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with (folder / "messages.mo").open("wb") as f:
            write_mo(f, cat)
        return str(tmp_path / name)

    one = catalog("one", [("Parking", "停车", None), ("Owner", "业主", None), ("Done", "完成", "step")])
    two = catalog("two", [("Parking", "车位管理", None), ("Owner", "业主", None), ("Done", "已回访", "visit")])
    merged, clashes = merge_catalogs([one, two], "zh_CN")
    assert clashes == [("Parking", (one, "停车"), (two, "车位管理"))]  # same text, other contexts: fine
    assert merged.gettext("Parking") == "车位管理" and merged.gettext("Owner") == "业主"
    assert merged.pgettext("step", "Done") == "完成" and merged.pgettext("visit", "Done") == "已回访"


def test_every_catalog_is_found_for_the_locale_the_app_gives_babel(app):
    # core.i18n.get_translations looks catalogs up by our code "zh_CN" — not the
    # likely-subtag form zh_Hans_CN that Flask-Babel's own lookup would use.
    from babel.support import Translations
    from flask_babel import refresh

    from core import i18n

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        refresh()
        locale = i18n.select_locale()
        assert i18n.get_translations().gettext("Dashboard") != "Dashboard"
    assert locale == "zh_CN"
    for tdir, _sources in i18n_tools.catalogs():
        t = Translations.load(str(tdir), [locale], "messages")
        assert isinstance(t, Translations), f"{tdir}: no catalog for {locale}"
        assert t.plural(3) == 0  # one plural form


def test_compiled_catalogs_are_present():
    for po, _cat in _zh_catalogs():
        assert po.with_suffix(".mo").exists(), f"{po} was not compiled"


# -- the pages -----------------------------------------------------------------

@pytest.fixture
def fresh_translations(app):
    """Flask-Babel keeps the merged catalogs in one cache per process (on the shared ``Babel``
    object, keyed by locale only), so an app made by an earlier test with other plugins would
    lend us its catalogs. Start and finish each test with an empty cache."""
    from core.extensions import babel

    babel.domain_instance.cache.clear()
    yield
    babel.domain_instance.cache.clear()


def _text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


@pytest.mark.usefixtures("fresh_translations")
def test_a_chinese_speaking_clerk_sees_the_dashboard_and_units_in_chinese(client, login_as, estates, db):
    user = login_as("clerk", estates=[estates[0]], locale="zh_CN")

    page = _text(client.get("/"))
    assert 'lang="zh-CN"' in page
    assert "<title>工作台 · PropDesk</title>" in page
    for zh in ("工作台", "房屋", "住户", "楼栋", "项目", "项目与住户", "项目概况", "我的全部项目", "退出", "消息"):
        assert zh in page, zh
    for en in ("Dashboard", "Units", "Residents", "Buildings", "Estates and people", "Estates at a glance",
               "All my estates", "Sign out", "Notifications"):
        assert en not in page, en

    page = _text(client.get("/estates/units"))
    assert "<title>房屋 · PropDesk</title>" in page
    for zh in ("共 3 条记录", "全部用途", "全部楼栋", "筛选", "重置", "面积（m²）", "楼层", "住宅"):
        assert zh in page, zh
    for en in ("3 records", "All uses", "All buildings", "Filter", "Reset", "Area (m²)", "Floor", "Residence"):
        assert en not in page, en

    resp = client.post("/language", data={"locale": "en", "next": "/estates/units"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/estates/units")
    db.session.refresh(user)
    assert user.locale == "en"
    page = _text(client.get("/estates/units"))
    assert 'lang="en"' in page and "<title>Units · PropDesk</title>" in page
    assert "3 records" in page and "All uses" in page
    assert "共 3 条记录" not in page and "全部用途" not in page
    page = _text(client.get("/"))
    assert "Dashboard" in page and "工作台" not in page


@pytest.mark.usefixtures("fresh_translations")
def test_a_plugin_page_uses_the_plugin_s_own_catalog(client, login_as, estates):
    login_as("clerk", estates=[estates[0]], locale="zh_CN")
    page = _text(client.get("/notices/"))
    assert "<title>通知 · PropDesk</title>" in page and "新建通知" in page and "标题或编号" in page
    assert "New notice" not in page and "Title or number" not in page


@pytest.mark.usefixtures("fresh_translations")
def test_the_login_page_follows_the_browser_language(client):
    page = _text(client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}))
    assert 'lang="zh-CN"' in page and "<title>登录 · PropDesk</title>" in page
    for zh in ("用户名", "密码", "在此电脑上保持登录"):
        assert zh in page, zh
    for en in ("Sign in", "Username", "Keep me signed in"):
        assert en not in page, en

    page = _text(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert 'lang="en"' in page and "Sign in" in page and "登录" not in page


@pytest.mark.usefixtures("fresh_translations")
def test_a_refused_login_is_explained_in_the_browser_language(client, make_user):
    make_user("clerk", username="zhou")
    resp = client.post("/login", data={"username": "zhou", "password": "wrong-pass"},
                       headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 401
    assert "用户名或密码错误。" in resp.get_data(as_text=True)


@pytest.mark.usefixtures("fresh_translations")
@pytest.mark.parametrize("accept", ["zh", "zh-CN"])
def test_plain_and_regional_chinese_both_select_zh_cn(client, accept):
    assert "登录" in _text(client.get("/login", headers={"Accept-Language": accept}))


def test_every_plugin_s_name_and_summary_are_in_its_own_catalog():
    """The Modules page shows each manifest's name and summary through ``_()``."""
    from core.manifest import read_manifest

    for tdir, _sources in i18n_tools.catalogs()[1:]:
        manifest = read_manifest(tdir.parent)
        with (tdir / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f)
        for text in (manifest.name, manifest.summary):
            assert catalog.get(text) is not None and catalog.get(text).string, (manifest.code, text)


@pytest.mark.usefixtures("fresh_translations")
def test_the_modules_page_shows_plugin_names_and_summaries_in_chinese(client, login_as, estates):
    login_as("admin", estates=[estates[0]], locale="zh_CN")
    page = _text(client.get("/admin/plugins"))
    assert "接报修管理" in page and "投诉管理" in page
    assert "Repair requests from residents" not in page


@pytest.mark.parametrize("tdir,sources", [pytest.param(t, s, id=t.parent.name) for t, s in i18n_tools.catalogs()])
def test_a_catalog_keeps_no_entry_its_sources_no_longer_use(tdir, sources):
    """A translation left behind when its text changed is dead weight, and a wrong hint to
    whoever reuses the wording (``i18n_tools wording``)."""
    assert i18n_tools.unused(tdir, sources) == []

"""The demo data speaks one language: the site's (``PROPDESK_DEFAULT_LOCALE``).

``flask demo load`` with every built-in plugin, once in English and once in Chinese: in the
English demo no text anywhere holds a Chinese character; in the Chinese demo the names people
read (company, estates, buildings, departments, staff, residents, fee items, notices) are
Chinese and no text mixes in English words ("阳光花园 Sunshine Garden", "李华 (clerk)"); a
receipt and a unit's pages then show no English names.
"""

from __future__ import annotations

import html
import os
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from core.demo import DEMO_PASSWORD

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: An English word: a lower-case run (codes and numbers such as SJ-E01-2026-000001 or LED are upper-case).
WORD = re.compile(r"[A-Za-z]*[a-z]{2,}[A-Za-z]*")
LATIN = re.compile(r"[A-Za-z]{2,}")
#: The wording of the demo does not depend on the database: the two whole-demo loads run on SQLite only.
SQLITE_ONLY = pytest.mark.skipif(os.environ.get("PROPDESK_TEST_DB") == "postgres",
                                 reason="demo wording is the same on every database")


def _load(make_app, locale: str):
    app = make_app(BABEL_DEFAULT_LOCALE=locale, PROPDESK_LOCALE_FROM_BROWSER=False)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return app, result.output


def _strings(db):
    """Every non-empty string value of every table: (table.column, value)."""
    for table in db.metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, sa.String)]
        for col in cols:
            for (value,) in db.session.execute(select(col).where(col.is_not(None), col != "").distinct()):
                yield f"{table.name}.{col.name}", value


def _names(db) -> dict[str, list[str]]:
    from core.models import Building, Company, Department, Estate, Resident, User
    from plugins.fees.models import FeeItem
    from plugins.notices.models import Notice

    return {what: list(db.session.scalars(select(col))) for what, col in (
        ("company", Company.name), ("estate", Estate.name), ("address", Estate.address),
        ("building", Building.name), ("department", Department.name), ("staff", User.full_name),
        ("resident", Resident.name), ("fee item", FeeItem.name), ("notice", Notice.title),
        ("notice body", Notice.body))}


def _visible(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def _pages(app, username: str) -> dict[str, str]:
    """A receipt (screen and print), the unit's page and its desk page, as ``username`` sees them."""
    from core.extensions import db
    from core.models import Estate
    from plugins.fees.models import Payment, PaymentLine

    with app.app_context():
        e01 = db.session.scalar(select(Estate.id).where(Estate.code == "E01"))
        payment = db.session.scalar(
            select(Payment).where(Payment.estate_id == e01, Payment.voided_at.is_(None),
                                  Payment.id.in_(select(PaymentLine.payment_id).where(PaymentLine.kind == "bill")))
            .order_by(Payment.id.desc()).limit(1))
        pid, unit_id = payment.id, payment.unit_id
    client = app.test_client()
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert resp.status_code == 302
    pages = {}
    for url in (f"/fees/receipts/{pid}", f"/fees/receipts/{pid}/print", f"/estates/units/{unit_id}",
                f"/fees/desk/units/{unit_id}"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        pages[url] = _visible(resp.get_data(as_text=True))
    return pages


# Each load writes the whole demo (fourteen months of fees…): a large-data test, run once in ``make test``.
@pytest.mark.slow
@SQLITE_ONLY
def test_the_english_demo_holds_no_chinese(make_app):
    from core.extensions import db

    app, output = _load(make_app, "en")
    assert "demo data loaded (English)" in output
    with app.app_context():
        names = _names(db)
        assert names["estate"] == ["Sunshine Garden", "Tech Park"]
        assert "Block 1" in names["building"] and "Customer service" in names["department"]
        assert "Property service fee" in names["fee item"] and names["notice"] == ["Water supply interruption"] * 2
        for what, values in names.items():
            assert values, what
            for value in values:
                assert LATIN.search(value), (what, value)
        chinese = [(col, value) for col, value in _strings(db) if CJK.search(value)]
        assert chinese == []
    _loaded_once(app)
    for url, text in _pages(app, "cashier").items():
        assert not CJK.search(text.replace("简体中文", "")), (url, CJK.findall(text)[:20])


@pytest.mark.slow
@SQLITE_ONLY
def test_the_chinese_demo_holds_no_english_names(make_app):
    from core.extensions import db

    app, output = _load(make_app, "zh_CN")
    assert "demo data loaded (简体中文)" in output
    with app.app_context():
        names = _names(db)
        assert names["estate"] == ["阳光花园", "科技园"]
        assert "1栋" in names["building"] and "客服部" in names["department"]
        assert "物业服务费" in names["fee item"] and names["notice"] == ["停水通知"] * 2
        for what, values in names.items():
            assert values, what
            for value in values:
                assert CJK.search(value) and not WORD.search(value), (what, value)
        # No text mixes the two languages (codes, numbers and the like are upper-case).
        mixed = [(col, value) for col, value in _strings(db) if CJK.search(value) and WORD.search(value)]
        assert mixed == []
    _loaded_once(app)
    from core.demo import ESTATES

    for url, text in _pages(app, "cashier").items():
        words = set(WORD.findall(text)) - {"PropDesk", "English"}
        assert not words, (url, sorted(words))
        for _code, name_en, *_rest in ESTATES:
            assert name_en not in text, url


def _loaded_once(app) -> None:
    """``make run`` loads the demo with ``--if-empty``: a second start keeps it, and says why."""
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "already present" in result.output


def test_a_site_that_sets_its_language_speaks_it_whatever_the_browser(make_app, make_user, monkeypatch):
    """``PROPDESK_DEFAULT_LOCALE=zh_CN make run``: the pages are Chinese too, not only the demo data,
    until a user chooses another language."""
    from core.testing import TEST_PASSWORD

    monkeypatch.setenv("PROPDESK_DEFAULT_LOCALE", "zh_CN")
    app = make_app(plugins=[])
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN" and not app.config["PROPDESK_LOCALE_FROM_BROWSER"]
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    page = _visible(app.test_client().get("/login", headers=english_browser).get_data(as_text=True))
    assert "登录" in page and "Sign in" not in page
    with app.app_context():
        make_user("clerk", username="li")
        make_user("clerk", username="smith", locale="en")
    for username, speaks, not_speaks in (("li", "退出", "Sign out"), ("smith", "Sign out", "退出")):
        client = app.test_client()
        client.post("/login", data={"username": username, "password": TEST_PASSWORD}, headers=english_browser)
        page = client.get("/", headers=english_browser).get_data(as_text=True)
        assert speaks in page and not_speaks not in page, username
    # The sign-in page's language buttons: the visitor's choice wins over the site's.
    client = app.test_client()
    client.post("/language", data={"locale": "en"}, headers=english_browser)
    assert "Sign in" in _visible(client.get("/login", headers=english_browser).get_data(as_text=True))


def test_a_site_that_does_not_set_its_language_follows_the_browser(make_app, monkeypatch):
    monkeypatch.delenv("PROPDESK_DEFAULT_LOCALE", raising=False)
    app = make_app(plugins=[])
    assert app.config["BABEL_DEFAULT_LOCALE"] == "en" and app.config["PROPDESK_LOCALE_FROM_BROWSER"]
    client = app.test_client()
    assert "登录" in _visible(client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
    assert "Sign in" in _visible(client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True))

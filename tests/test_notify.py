"""Notices are written in each recipient's language, whoever or whatever triggered them."""

from flask_babel import gettext as _
from sqlalchemy import select

from core.models import Notification
from core.notify import notify_each


def test_each_recipient_reads_the_notice_in_their_own_language(app, db, make_user, estates):
    zh = make_user("supervisor", [estates[0]], locale="zh_CN")
    en = make_user("supervisor", [estates[0]], locale="en")
    unset = make_user("supervisor", [estates[0]])  # no preference: the site's default language
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):  # whoever triggers it
        sent = notify_each([zh, en, unset], lambda: (_("Dashboard"), _("Notifications")), link="/",
                           estate_id=estates[0].id)
        db.session.commit()
    assert sent == 3
    got = {n.user_id: (n.title, n.body) for n in db.session.scalars(select(Notification))}
    assert got[zh.id] == ("工作台", "消息")
    assert got[en.id] == ("Dashboard", "Notifications")
    default = app.config["BABEL_DEFAULT_LOCALE"]
    assert got[unset.id] == (got[zh.id] if default == "zh_CN" else got[en.id])



def test_a_job_writes_in_the_site_s_default_language_to_users_without_a_preference(app, db, make_user, estates,
                                                                                    monkeypatch):
    unset = make_user("supervisor", [estates[0]])
    en = make_user("supervisor", [estates[0]], locale="en")
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "zh_CN")  # PROPDESK_DEFAULT_LOCALE=zh_CN
    notify_each([unset, en], lambda: _("Dashboard"))  # as a scheduled job calls it
    db.session.commit()
    got = dict(db.session.execute(select(Notification.user_id, Notification.title)).all())
    assert got == {unset.id: "工作台", en.id: "Dashboard"}

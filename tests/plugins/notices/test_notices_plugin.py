"""The notices plugin: a front desk drafts, a supervisor publishes, prints and withdraws."""

from sqlalchemy import func, select

from plugins.notices.models import Notice


def draft(client, estate, **kw):
    data = {"estate_id": estate.id, "title": "停水通知", "category": "outage", "body": "周六 9:00–15:00 停水",
            "buildings": "", "posted_from": "2026-11-20", "posted_until": "2026-12-31", **kw}
    return client.post("/notices/new", data=data)


def test_the_front_desk_drafts_and_the_supervisor_publishes(client, login_as, db, estates):
    login_as("frontdesk", estates=[estates[0]])
    resp = draft(client, estates[0], buildings="1, 3")
    assert resp.status_code == 302
    notice = db.session.scalar(select(Notice))
    assert notice.state == "draft" and notice.number is None and notice.buildings == "1,3"
    assert client.post(f"/notices/{notice.id}/publish").status_code == 403
    client.post("/logout")
    login_as("supervisor", estates=[estates[0]])
    client.post(f"/notices/{notice.id}/publish")
    db.session.expire_all()
    assert notice.state == "published" and notice.number.startswith("TZ-E01-")
    page = client.get(f"/notices/{notice.id}/print").get_data(as_text=True)
    assert notice.number in page and "停水通知" in page and "Approved by" in page


def test_a_notice_needs_text_dates_in_order_and_known_buildings(client, login_as, db, estates):
    login_as("frontdesk", estates=[estates[0]])
    page = draft(client, estates[0], body="").get_data(as_text=True)
    assert "This field is required." in page
    page = draft(client, estates[0], posted_until="2026-01-01").get_data(as_text=True)
    assert "The notice cannot come down before it goes up." in page
    page = draft(client, estates[0], buildings="1,99").get_data(as_text=True)
    assert "No such building in this estate: 99" in page
    page = draft(client, estates[1]).get_data(as_text=True)
    assert "Not a valid choice" in page
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_withdrawing_needs_a_reason_and_keeps_the_record(client, login_as, db, estates):
    login_as("supervisor", estates=[estates[0]])
    draft(client, estates[0])
    notice = db.session.scalar(select(Notice))
    client.post(f"/notices/{notice.id}/publish")
    resp = client.post(f"/notices/{notice.id}/withdraw", data={"reason": ""})
    assert resp.status_code == 422 and "This field is required." in resp.get_data(as_text=True)
    client.post(f"/notices/{notice.id}/withdraw", data={"reason": "Works postponed"})
    db.session.expire_all()
    assert notice.state == "withdrawn" and notice.withdraw_reason == "Works postponed"
    resp = client.post(f"/notices/{notice.id}/publish", follow_redirects=True)
    assert "Only a draft can be published." in resp.get_data(as_text=True)


def test_the_unit_page_and_search_show_notices_for_its_building(client, login_as, db, estates):
    from core.models import Unit

    login_as("supervisor", estates=[estates[0]])
    draft(client, estates[0], title="Lift works in building 3", buildings="3", posted_from="2020-01-01",
          posted_until="")
    notice = db.session.scalar(select(Notice))
    client.post(f"/notices/{notice.id}/publish")
    u3 = db.session.scalar(select(Unit).where(Unit.estate_id == estates[0].id, Unit.number == "3-2-1201"))
    u1 = db.session.scalar(select(Unit).where(Unit.estate_id == estates[0].id, Unit.number == "1-1-101"))
    assert "Lift works in building 3" in client.get(f"/estates/units/{u3.id}").get_data(as_text=True)
    assert "Lift works in building 3" not in client.get(f"/estates/units/{u1.id}").get_data(as_text=True)
    db.session.expire_all()
    assert notice.number in client.get(f"/search?q={notice.number}").get_data(as_text=True)


def test_notices_of_another_estate_stay_hidden(client, login_as, db, estates, make_user):
    from datetime import date

    from plugins.notices import services

    other = make_user("manager", [estates[1]])
    services.save_draft(other, None, estate_id=estates[1].id, title="Their notice", body="x",
                        category="general", buildings="", posted_from=date(2026, 1, 1), posted_until=None)
    db.session.commit()
    theirs = db.session.scalar(select(Notice))
    login_as("manager", estates=[estates[0]])
    assert client.get(f"/notices/{theirs.id}").status_code == 404
    assert "Their notice" not in client.get("/notices/").get_data(as_text=True)


def test_expired_notices_are_taken_down_by_the_job(app, db, estates, make_user):
    from datetime import date

    from core.jobs import run_due
    from plugins.notices import services

    user = make_user("manager", [estates[0]])
    n = services.save_draft(user, None, estate_id=estates[0].id, title="Old", body="x", category="general",
                            buildings="", posted_from=date(2020, 1, 1), posted_until=date(2020, 2, 1))
    db.session.flush()
    services.publish(user, n)
    db.session.commit()
    assert dict(run_due())["notices.take_down"] == "1 notices taken down"
    db.session.expire_all()
    assert n.state == "withdrawn"


def test_the_job_takes_a_notice_down_when_its_last_day_is_over_in_the_estate_s_time(
        app, db, estates, make_user, clock):
    """Just after midnight on the 1st in Shanghai it is still the 28th in UTC: a notice posted
    until the 28th comes down then (in its estate's day), one posted until the 1st stays up,
    and the change is in the audit log."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from core.jobs import run_due
    from core.models import AuditLog
    from plugins.notices import services

    clock.move_to(datetime(2027, 3, 1, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai")))
    user = make_user("manager", [estates[0]])
    made = {}
    for title, until in (("Ended", date(2027, 2, 28)), ("Today", date(2027, 3, 1))):
        made[title] = services.save_draft(user, None, estate_id=estates[0].id, title=title, body="x",
                                          category="general", buildings="", posted_from=date(2027, 2, 1),
                                          posted_until=until)
        db.session.flush()
        services.publish(user, made[title])
    db.session.commit()
    assert dict(run_due(force=True, only="notices.take_down"))["notices.take_down"] == "1 notices taken down"
    db.session.expire_all()
    assert (made["Ended"].state, made["Today"].state) == ("withdrawn", "published")
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "notices_notice",
                                                      AuditLog.record_id == str(made["Ended"].id))).all()
    assert any(a.changes.get("state") == ["published", "withdrawn"] for a in audit)


def test_a_withdrawal_reason_is_shown_as_text_never_as_html(client, login_as, db, estates):
    """A manager's reason is their words: escaped, never passed to gettext nor marked safe."""
    login_as("supervisor", estates=[estates[0]])
    draft(client, estates[0])
    notice = db.session.scalar(select(Notice))
    client.post(f"/notices/{notice.id}/publish")
    client.post(f"/notices/{notice.id}/withdraw", data={"reason": '<a href="x">details</a>'})
    client.post("/logout")
    login_as("clerk", estates=[estates[0]])
    page = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert '&lt;a href=&#34;x&#34;&gt;details&lt;/a&gt;' in page
    assert '<a href="x">' not in page


def test_the_take_down_job_s_own_reason_is_shown_in_the_reader_s_language(client, login_as, db, estates):
    from plugins.notices import AUTO_WITHDRAWN

    login_as("supervisor", estates=[estates[0]])
    draft(client, estates[0])
    notice = db.session.scalar(select(Notice))
    client.post(f"/notices/{notice.id}/publish")
    notice.state, notice.withdraw_reason = "withdrawn", AUTO_WITHDRAWN  # as the job leaves it
    db.session.commit()
    assert "posting period ended" in client.get(f"/notices/{notice.id}").get_data(as_text=True)
    client.post("/logout")
    login_as("clerk", estates=[estates[0]], locale="zh_CN")
    assert "张贴期已满" in client.get(f"/notices/{notice.id}").get_data(as_text=True)

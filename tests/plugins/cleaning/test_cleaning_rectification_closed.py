"""The vendors plugin's ``vendors_rectification_closed``: a passed re-check of the notice that
carried an inspection's shortcomings verifies that inspection here (a ``rectified`` step saying
who and when, audited), and the page shows it; with vendors disabled the by-hand verification
remains."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.errors import DomainError
from core.models.system import AuditLog
from plugins.cleaning import services
from plugins.cleaning.models import CleanCheck, CleanStep
from tests.plugins.cleaning.conftest import all_ok, login, set_vendors


def _sent(db, s):
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today - timedelta(days=1),
                                       results=all_ok(s.t1, s.t2, s.t3, 擦拭信报箱="信报箱积灰"), remedy="vendor",
                                       deadline=s.today + timedelta(days=2))
        db.session.commit()
    return c.id


def _close(db, s, rect_id, passed=True, on=None, acting=None):
    from plugins.vendors import services as vendors
    from plugins.vendors.models import Rectification

    on = on or s.today
    with acting_as(acting or s.manager):
        rect = db.session.get(Rectification, rect_id)
        vendors.record_response(s.manager, rect, responded_on=on, responder="王经理", note="已清洁")
        vendors.recheck(s.manager, rect, checked_on=on, passed=passed, note="" if passed else "仍脏",
                        new_deadline=None if passed else s.today + timedelta(days=3))
        db.session.commit()


def test_a_passed_recheck_at_the_vendor_verifies_the_inspection(db, client, staff):
    s = staff
    cid = _sent(db, s)
    c = db.session.get(CleanCheck, cid)
    _close(db, s, c.rectification_id)
    db.session.expire_all()
    c = db.session.get(CleanCheck, cid)
    assert (c.state, c.verified_on) == ("verified", s.today)
    step = c.steps[-1]
    assert (step.kind, step.by_id, step.happened_on, step.note) == ("rectified", s.manager.id, s.today,
                                                                    c.rectification_number)
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "cleaning_clean_check",
                                                      AuditLog.record_id == str(cid))).all()
    assert any(a.user_id == s.manager.id and "verified" in str(a.changes) for a in audit)
    login(client, s.sup)
    page = client.get(f"/cleaning/checks/{cid}").get_data(as_text=True)
    assert "Re-checked at the vendor: put right" in page and "Closed" in page
    assert f'action="/cleaning/checks/{cid}/verify"' not in page  # nothing left to verify


def test_the_rectified_step_has_the_day_of_the_recheck_and_who_made_it(db, staff, clock):
    """A re-check made yesterday and recorded today is dated yesterday, by its recorder (not by
    whoever else the audit happens to name)."""
    s = staff
    cid = _sent(db, s)
    clock.shift(timedelta(days=2))
    recheck_day = s.today + timedelta(days=1)
    _close(db, s, db.session.get(CleanCheck, cid).rectification_id, on=recheck_day, acting=s.sup)
    db.session.expire_all()
    c = db.session.get(CleanCheck, cid)
    assert (c.state, c.verified_on) == ("verified", recheck_day)
    assert (c.steps[-1].kind, c.steps[-1].by_id, c.steps[-1].happened_on) == ("rectified", s.manager.id, recheck_day)


def test_a_failed_recheck_leaves_the_inspection_open(db, staff):
    s = staff
    cid = _sent(db, s)
    _close(db, s, db.session.get(CleanCheck, cid).rectification_id, passed=False)
    db.session.expire_all()
    c = db.session.get(CleanCheck, cid)
    assert c.state == "open" and [st.kind for st in c.steps] == ["vendor"]


def test_verified_by_hand_while_vendors_was_off_then_closed_at_the_vendor_adds_nothing(db, staff):
    s = staff
    cid = _sent(db, s)
    set_vendors(False)
    with acting_as(s.sup):
        services.verify(s.sup, db.session.get(CleanCheck, cid), verified_on=s.today, passed=True)
        db.session.commit()
    set_vendors(True)
    _close(db, s, db.session.get(CleanCheck, cid).rectification_id)
    db.session.expire_all()
    c = db.session.get(CleanCheck, cid)
    assert c.state == "verified" and [st.kind for st in c.steps] == ["vendor", "passed"]


def _by_hand_refused(db, s, cid):
    """Verifying by hand (put right, or still failing) is refused, and nothing changes."""
    steps = db.session.scalar(select(func.count()).select_from(CleanStep))
    audits = db.session.scalar(select(func.count()).select_from(AuditLog))
    for kw in (dict(passed=True), dict(passed=False, note="仍不合格", new_deadline=s.today + timedelta(days=5))):
        with acting_as(s.sup), pytest.raises(DomainError) as exc:
            services.verify(s.sup, db.session.get(CleanCheck, cid), verified_on=s.today, **kw)
        db.session.rollback()
        number = db.session.get(CleanCheck, cid).rectification_number
        assert exc.value.message == (f"Rectification notice {number} is still open at the vendor: the inspection is "
                                     "verified when the vendor's re-check closes it.")
    db.session.expire_all()
    c = db.session.get(CleanCheck, cid)
    assert (c.state, c.verified_on, [st.kind for st in c.steps]) == ("open", None, ["vendor"])
    assert db.session.scalar(select(func.count()).select_from(CleanStep)) == steps
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == audits


def test_with_vendors_enabled_an_inspection_at_the_vendor_is_not_verified_by_hand(db, client, staff):
    from plugins.vendors import services as vendors
    from plugins.vendors.models import Rectification

    s = staff
    cid = _sent(db, s)
    rect_id = db.session.get(CleanCheck, cid).rectification_id
    assert services.awaits_vendor(s.sup, db.session.get(CleanCheck, cid))
    _by_hand_refused(db, s, cid)
    login(client, s.sup)
    page = client.get(f"/cleaning/checks/{cid}").get_data(as_text=True)
    assert f'action="/cleaning/checks/{cid}/verify"' not in page
    assert "verified when the notice is closed at the vendor" in page and f'href="/vendors/rectifications/{rect_id}"' in page
    # Answered by the vendor, then failed at the re-check (open again): still the vendor's.
    with acting_as(s.manager):
        rect = db.session.get(Rectification, rect_id)
        vendors.record_response(s.manager, rect, responded_on=s.today, responder="王经理", note="已处理")
        db.session.commit()
    _by_hand_refused(db, s, cid)
    with acting_as(s.manager):
        vendors.recheck(s.manager, db.session.get(Rectification, rect_id), checked_on=s.today, passed=False,
                        note="仍不合格", new_deadline=s.today + timedelta(days=3))
        db.session.commit()
    _by_hand_refused(db, s, cid)


def test_a_notice_closed_while_cleaning_was_off_leaves_the_inspection_to_verify_by_hand(db, client, staff):
    """The notice is closed (its re-check passed while this plugin was disabled, so no listener
    ran): nothing waits at the vendor any more, so the inspection is verified by hand."""
    from core.site import disable, enable, refresh

    s = staff
    cid = _sent(db, s)
    disable("cleaning")
    db.session.commit()
    refresh(force=True)
    _close(db, s, db.session.get(CleanCheck, cid).rectification_id)
    enable("cleaning")
    db.session.commit()
    refresh(force=True)
    db.session.expire_all()
    c = db.session.get(CleanCheck, cid)
    assert c.state == "open" and not services.awaits_vendor(s.sup, c)
    login(client, s.sup)
    page = client.get(f"/cleaning/checks/{cid}").get_data(as_text=True)
    assert f'action="/cleaning/checks/{cid}/verify"' in page and "Closed" in page and "closed at the vendor (its response" not in page
    with acting_as(s.sup):
        services.verify(s.sup, c, verified_on=s.today, passed=True)
        db.session.commit()
    assert db.session.get(CleanCheck, cid).state == "verified"


def test_with_vendors_disabled_the_inspection_is_verified_by_hand(db, client, staff):
    s = staff
    cid = _sent(db, s)
    set_vendors(False)
    login(client, s.sup)
    page = client.get(f"/cleaning/checks/{cid}").get_data(as_text=True)
    number = db.session.get(CleanCheck, cid).rectification_number
    assert number in page and "/vendors/rectifications/" not in page
    assert f'action="/cleaning/checks/{cid}/verify"' in page
    with acting_as(s.sup):
        services.verify(s.sup, db.session.get(CleanCheck, cid), verified_on=s.today, passed=True)
        db.session.commit()
    db.session.expire_all()
    c = db.session.get(CleanCheck, cid)
    assert c.state == "verified" and [st.kind for st in c.steps] == ["vendor", "passed"]

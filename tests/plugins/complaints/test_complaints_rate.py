"""The effective handling rate on known data: exact numbers per month, category and department."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from complaints_helpers import record

from plugins.complaints.models import CATEGORIES

pytestmark = pytest.mark.plugins("complaints")
TZ = "Asia/Shanghai"


def local(y, m, d, h=9, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=ZoneInfo(TZ))


@pytest.fixture
def month():
    """The month before last (wholly in the past), and the one after it."""
    from plugins.complaints.stats import add_months

    today = datetime.now(ZoneInfo(TZ)).date()
    return add_months(today.year, today.month, -2), add_months(today.year, today.month, -1)


def _case(staff, estate, dept, received, reply_h, close_h, visit=None, category="repairs"):
    """Record at ``received``; forward, note, reply after ``reply_h`` h, close after ``close_h`` h;
    ``visit`` = (hours after receiving, satisfied)."""
    from plugins.complaints import services

    sup = staff["supervisor"]
    c = record(staff["clerk"], estate, category=category, received_at=received)
    services.forward(sup, c, dept.id, "", received + timedelta(minutes=30))
    services.add_note(sup, c, "已核实", received + timedelta(hours=1))
    services.reply(sup, c, "已处理完毕，特此回复。", "letter", received + timedelta(hours=reply_h))
    services.close(sup, c, received + timedelta(hours=close_h))
    if visit:
        services.confirm_visit(sup, c, visit[1], "" if visit[1] else "不满意", received + timedelta(hours=visit[0]))
    return c


def test_effective_handling_rate_per_month_category_and_department(db, estates, staff, depts, month, make_user):
    from plugins.complaints import services, stats

    (y, m), (ny, nm) = month
    maint, cs = depts
    e1 = estates[0]
    # A, B: replied in 6 h (deadline 24 h), satisfied → effective
    _case(staff, e1, maint, local(y, m, 3), 6, 24, (48, True))
    _case(staff, e1, maint, local(y, m, 4), 6, 24, (48, True))
    # C: replied late (49 h), satisfied → not effective
    _case(staff, e1, maint, local(y, m, 3), 49, 72, (96, True), category="noise")
    # D: replied in 6 h, not satisfied → reopened, replied again (late), closed, then satisfied
    d = _case(staff, e1, cs, local(y, m, 3), 6, 24, (48, False))
    services.reply(staff["supervisor"], d, "重新处理完毕。", "letter", local(y, m, 7))
    services.close(staff["supervisor"], d, local(y, m, 8))
    services.confirm_visit(staff["supervisor"], d, True, "", local(y, m, 10))
    # E: replied in 6 h, closed, no return visit yet → not effective
    _case(staff, e1, cs, local(y, m, 3), 6, 24, category="cleaning")
    # F: received late in the month, closed in the next one → not in this month
    _case(staff, e1, maint, local(y, m, 28), 6, 24 * 4, (24 * 5, True))
    # G: still open (recorded in the month, never closed)
    record(staff["clerk"], e1, received_at=local(y, m, 20))
    # H: another estate's complaint is never counted
    theirs = make_user("manager", [estates[1]])
    _case({"clerk": theirs, "supervisor": theirs}, estates[1], maint, local(y, m, 3), 6, 24, (48, True))
    db.session.commit()

    rows = stats.monthly([e1.id], [(y, m), (ny, nm)], TZ)
    this, following = rows
    assert (this.received, this.closed, this.on_time, this.satisfied, this.effective) == (7, 5, 3, 4, 2)
    assert this.rate == Decimal("40.0")
    assert this.avg_reply_hours == Decimal("32.6")  # (6 + 6 + 49 + 96 + 6) / 5
    assert (following.received, following.closed, following.effective, following.rate) == (0, 1, 1, Decimal("100.0"))
    total = stats.total(rows)
    assert (total.closed, total.effective, total.rate) == (6, 3, Decimal("50.0"))

    start, end = stats.month_start(y, m, TZ), stats.month_start(ny, nm, TZ)
    categories, departments = stats.breakdown([e1.id], start, end)
    by_cat = {f.key: f for f in categories}
    assert (by_cat["repairs"].closed, by_cat["repairs"].effective, by_cat["repairs"].rate) == (3, 2, Decimal("66.7"))
    assert (by_cat["noise"].closed, by_cat["noise"].rate) == (1, Decimal("0.0"))
    assert (by_cat["cleaning"].closed, by_cat["cleaning"].satisfied) == (1, 0)
    assert by_cat["repairs"].received == 5 and by_cat["fees"].rate is None  # A, B, D, F, G
    by_dept = {f.label: f for f in departments}
    assert (by_dept[maint.name].closed, by_dept[maint.name].effective) == (3, 2)
    assert (by_dept[cs.name].closed, by_dept[cs.name].effective, by_dept[cs.name].rate) == (2, 0, Decimal("0.0"))
    assert by_dept["Not forwarded yet"].received == 1 and by_dept["Not forwarded yet"].closed == 0

    both = stats.monthly([e1.id, estates[1].id], [(y, m)], TZ)[0]
    assert (both.closed, both.effective) == (6, 3)

    # The one-scan breakdown against the complaints themselves, figure by figure.
    from sqlalchemy import select

    from plugins.complaints.models import Complaint

    def expected(pick):
        out = {}
        for c in db.session.scalars(select(Complaint).where(Complaint.estate_id == e1.id)):
            f = out.setdefault(pick(c), {"received": 0, "closed": 0, "on_time": 0, "satisfied": 0,
                                         "effective": 0, "hours": []})
            f["received"] += start <= c.received_at < end
            if c.closed_at is not None and start <= c.closed_at < end:
                on_time = c.reply_at is not None and c.reply_at <= c.reply_due_at
                f["closed"] += 1
                f["on_time"] += on_time
                f["satisfied"] += c.satisfied is True
                f["effective"] += on_time and c.satisfied is True
                if c.reply_at is not None:
                    f["hours"].append((c.reply_at - c.received_at).total_seconds() / 3600)
        return {k: (v["received"], v["closed"], v["on_time"], v["satisfied"], v["effective"],
                    Decimal(str(round(sum(v["hours"]) / len(v["hours"]), 1))) if v["hours"] else None)
                for k, v in out.items() if v["received"] or v["closed"]}

    def shown(rows):
        return {f.key: (f.received, f.closed, f.on_time, f.satisfied, f.effective, f.avg_reply_hours)
                for f in rows if f.received or f.closed}

    assert shown(categories) == expected(lambda c: c.category)
    assert shown(departments) == expected(lambda c: c.department_id)
    assert [f.key for f in categories][:len(CATEGORIES)] == list(CATEGORIES)  # every category, in order
    assert by_cat["repairs"].avg_reply_hours == Decimal("36.0")  # (6 + 6 + 96) / 3: A, B and D (replied again)


def test_a_month_is_the_estate_s_local_month(db, estates, staff, depts, month):
    from plugins.complaints import stats

    (y, m), (ny, nm) = month
    last_day = (stats.month_start(ny, nm, TZ) - timedelta(days=1)).day
    # closed at 23:30 local on the last day (15:30 UTC): this month; at 00:30 local the next day: the next one
    _case(staff, estates[0], depts[0], local(y, m, last_day - 1, 23, 30), 6, 24, (30, True))
    _case(staff, estates[0], depts[0], local(y, m, last_day - 1, 23, 30), 6, 25, (30, True))
    db.session.commit()
    this, following = stats.monthly([estates[0].id], [(y, m), (ny, nm)], TZ)
    assert (this.closed, following.closed) == (1, 1)
    assert this.received == 2 and following.received == 0

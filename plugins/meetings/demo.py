"""Demo meetings and handovers: a month of shift handovers (night → day at 08:00, day → night at
20:00, each acknowledged and signed by the manager, the latest still waiting), a morning meeting
every working day, the weekly meeting at the estate's slot (default Friday 16:00) and an ad hoc
meeting, with minutes signed by the participants, action items (most done, a few open, one
overdue). Handovers pick open complaints and repairs through the ``meetings_open_matters`` hook.

Every text is in the site's language (``core.demo.demo_text``). An estate without a manager and
two more members of staff gets nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import utcnow
from core.security import user_estate_ids
from plugins.meetings import services
from plugins.meetings.models import ActionItem, Meeting, ShiftHandover

T = demo_text
DAYS = 30

HANDED = [("Duty log, 2 radios, key cabinet key, visitor register", "值班记录本、对讲机2台、钥匙柜钥匙、访客登记本"),
          ("Duty log, 2 radios, key cabinet key, petty cash 200.00", "值班记录本、对讲机2台、钥匙柜钥匙、备用金200.00元"),
          ("Duty log, radios, parcel shelf (3 parcels waiting)", "值班记录本、对讲机、快递架（待取3件）")]
OTHER = [("Lift 2 stopped at 22:10, maintenance called, back in service 23:05", "2号电梯22:10停梯，已报维保，23:05恢复"),
         ("Water cut notice for building 3 tomorrow 9:00–12:00: check it is posted", "明日9:00—12:00 3栋停水，确认通知已张贴"),
         ("Owner of 1-1-102 to collect a parcel after 21:00", "1-1-102业主21:00后取快递"),
         ("Fire alarm panel showed a fault at zone 4, reset, to be checked", "消防主机4区故障报警，已复位，待检查")]
MINUTES = [("Yesterday's handovers read; open complaints reviewed; today's work assigned.",
            "宣读昨日交接班记录；复核未结投诉；布置今日工作。"),
           ("Night shift reported on lift 2; repairs in progress reviewed; front desk reminded of the visitor register.",
            "夜班通报2号电梯情况；检查在修报修单；提醒前台做好访客登记。")]
WEEKLY = [("Week reviewed: complaints handled on time, repairs completed, return visits; next week's plan agreed.",
           "本周工作回顾：投诉按时处理情况、维修完成情况、回访情况；确定下周工作计划。")]
DECISIONS = [("Every open complaint gets a call-back by noon.", "未结投诉中午前全部回电。"),
             ("Lift 2 fault to be followed up with the maintenance company.", "2号电梯故障跟进维保单位。")]
ACTIONS = [("Call back the owner about the noise complaint", "回电业主告知噪音投诉处理进度"),
           ("Check the fire alarm panel fault in zone 4", "检查消防主机4区故障"),
           ("Post the water cut notice in every lobby", "各楼大堂张贴停水通知"),
           ("Update the key register after the re-cut keys", "钥匙重配后更新钥匙登记"),
           ("Prepare the monthly complaint statistics", "准备本月投诉统计")]


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _at(estate, day, hh, mm=0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=services.tz_of(estate)).astimezone(UTC)


def load(estate, users) -> None:
    if db.session.scalar(select(ShiftHandover.id).where(ShiftHandover.estate_id == estate.id).limit(1)) or \
            db.session.scalar(select(Meeting.id).where(Meeting.estate_id == estate.id).limit(1)):
        return
    manager = users.get("manager") if _member(users.get("manager"), estate) else None
    people = [users[r] for r in ("supervisor", "clerk", "frontdesk", "technician", "cleaning")
              if _member(users.get(r), estate)]
    if manager is None or len(people) < 2:
        return
    rng = random.Random(estate.id * 104729)
    now = utcnow()
    today = services.local_day(now, estate)
    day_staff, night_staff = people[0], people[1]
    taker = next((u for u in people if u is not users.get("supervisor")), people[0])
    with current_app.test_request_context():
        with acting_as(night_staff):
            matters = services.open_matters(night_staff, estate.id)
        _handovers(estate, manager, day_staff, night_staff, matters, rng, today, now)
        _meetings(estate, manager, people, taker, rng, today, now)
    db.session.flush()


def _handovers(estate, manager, day_staff, night_staff, matters, rng, today, now) -> None:
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        for hh, out, inc, shift in ((8, night_staff, day_staff, "night"), (20, day_staff, night_staff, "evening")):
            at = _at(estate, day, hh)
            if at > now:
                continue
            refs = [m["reference"] for m in matters[:rng.randint(0, 2)]] if rng.random() < 0.5 else []
            other = T(*rng.choice(OTHER)) if rng.random() < 0.4 else ""
            with acting_as(out):
                row = services.hand_over(out, estate_id=estate.id, shift=shift, incoming_id=inc.id, references=refs,
                                         other_matters=other, handed_over=T(*rng.choice(HANDED)), handed_at=at)
            if at > now - timedelta(hours=2):
                continue  # the latest one: not acknowledged yet
            with acting_as(inc):
                services.acknowledge_handover(inc, row, at=at + timedelta(minutes=10))
            if at > now - timedelta(hours=14):
                continue  # waiting for the manager's signature
            with acting_as(manager):
                services.sign_handover(manager, row, at=at + timedelta(minutes=40), note=T("Read", "已阅"))


def _meeting(estate, manager, people, taker, kind, title, at, minutes, items, rng, now, sign_all=True):
    everyone = [manager] + people
    with acting_as(manager):
        m = services.plan_meeting(manager, estate_id=estate.id, kind=kind, title=title, starts_at=at,
                                  place=T("Customer service office", "客服中心办公室"),
                                  agenda=T("1. Handovers 2. Open cases 3. Today's work", "1.交接班情况 2.未结事项 3.今日工作"),
                                  attendee_ids=[u.id for u in everyone], minute_taker_id=taker.id,
                                  chair_id=manager.id)
    if at > now:
        return m
    absent = people[-1] if rng.random() < 0.3 and people[-1] is not taker else None
    with acting_as(taker):
        services.record_minutes(taker, m, minutes=minutes, decisions=T(*rng.choice(DECISIONS)),
                                present_ids=[u.id for u in everyone if u is not absent], at=at + timedelta(minutes=30))
        for _n in range(items):
            owner = rng.choice(people)
            services.add_action_item(taker, m, text=T(*rng.choice(ACTIONS)), owner_id=owner.id,
                                     due_on=services.local_day(at, estate) + timedelta(days=rng.randint(1, 5)))
        services.circulate(taker, m, at=at + timedelta(hours=1))
    if not sign_all:
        return m
    for n, u in enumerate(everyone):
        if u is absent:
            continue
        with acting_as(u):
            services.acknowledge_minutes(u, m, at=at + timedelta(hours=2, minutes=n))
    return m


def _meetings(estate, manager, people, taker, rng, today, now) -> None:
    weekday, slot = services.weekly_setting(estate.id)
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        if day.weekday() < 5:
            at = _at(estate, day, 8, 30)
            items = 1 if rng.random() < 0.4 else 0
            _meeting(estate, manager, people, taker, "morning", T("Morning meeting", "早会"), at,
                     T(*rng.choice(MINUTES)), items, rng, now, sign_all=back > 0)
        if day.weekday() == weekday:
            at = _at(estate, day, slot.hour, slot.minute)
            _meeting(estate, manager, people, taker, "weekly", T("Weekly meeting", "周例会"), at,
                     T(*WEEKLY[0]), 2, rng, now, sign_all=back > 2)
    _meeting(estate, manager, people, taker, "ad_hoc", T("Fire drill preparation", "消防演练筹备会"),
             _at(estate, today - timedelta(days=9), 14), T("Drill date, roles and notice to residents agreed.",
                                                          "确定演练日期、分工及业主告知。"), 1, rng, now)
    # Follow-up: items due more than two days ago are done (one left open: overdue).
    items = db.session.scalars(select(ActionItem).where(ActionItem.estate_id == estate.id)
                               .order_by(ActionItem.due_on, ActionItem.id)).all()
    left = False
    for item in items:
        if item.due_on < today - timedelta(days=2):
            if not left:
                left = True
                continue
            with acting_as(item.owner):
                services.close_item(item.owner, item, note=T("Done", "已完成"),
                                    at=_at(estate, item.due_on, 17))

"""Complaint and suggestion services: every transition, every refusal, deadlines from settings."""

from datetime import timedelta

import pytest
from complaints_helpers import handle_to_replied, hours_ago, record
from sqlalchemy import func, select

from core.errors import DomainError

pytestmark = pytest.mark.plugins("complaints")


def test_a_complaint_goes_through_every_step_and_keeps_the_whole_record(db, estates, staff, depts):
    from plugins.complaints import services
    from plugins.complaints.models import Complaint

    clerk, sup, mgr = staff["clerk"], staff["supervisor"], staff["manager"]
    start = hours_ago(30)
    c = record(clerk, estates[0], severity="serious", unit_number="3-2-1201", contact_name="",
               contact_phone="", received_at=start)
    assert c.number.startswith("TS-E01-") and c.state == "recorded"
    assert c.unit.number == "3-2-1201" and c.contact_name == "Owner of E01 3-2-1201"  # taken from the unit
    assert c.resident_id is not None and c.contact_phone.startswith("1380000")
    assert c.forward_due_at == start + timedelta(hours=1) and c.reply_due_at == start + timedelta(hours=12)
    services.forward(sup, c, depts[0].id, "请当天处理", start + timedelta(minutes=30))
    assert c.state == "forwarded" and c.department_id == depts[0].id and not c.forwarded_late
    services.add_note(sup, c, "现场查看：楼上防水层破损", start + timedelta(hours=2))
    assert c.state == "investigating"
    services.escalate(sup, c, "需要动用维修基金，超出客服部权限", start + timedelta(hours=3))
    assert c.state == "escalated" and c.escalated_by_id == sup.id
    services.decide(mgr, c, "同意先行维修，费用由管理处垫付", start + timedelta(hours=4))
    assert c.state == "decided" and c.decided_by_id == mgr.id
    services.reply(sup, c, "已于今日修复防水层，楼下天花一并修补。", "letter", start + timedelta(hours=8))
    assert c.state == "replied" and c.replied_on_time
    services.close(sup, c, start + timedelta(hours=9))
    assert c.state == "closed" and c.closed_by_id == sup.id
    services.confirm_visit(sup, c, True, "业主满意", start + timedelta(hours=20))
    assert c.state == "visited" and c.satisfied is True and c.effective
    db.session.commit()
    db.session.expire_all()
    c = db.session.get(Complaint, c.id)
    assert [n.kind for n in c.notes] == ["forward", "note", "escalate", "decide", "reply", "close", "visit"]
    assert c.notes[0].user_id == sup.id and "维修部" in c.notes[0].text
    from core.models import AuditLog

    logged = db.session.scalars(select(AuditLog).where(
        AuditLog.table_name == "complaints_complaint", AuditLog.record_id == str(c.id)).order_by(AuditLog.id)).all()
    assert [a.action for a in logged][0] == "insert"  # and every flushed change after it, by the core
    assert any("state" in (a.changes or {}) for a in logged[1:])


def test_illegal_steps_are_refused_with_a_clear_message(db, estates, staff, depts):
    from plugins.complaints import services

    sup, mgr, clerk = staff["supervisor"], staff["manager"], staff["clerk"]
    c = record(clerk, estates[0], received_at=hours_ago(10))
    refusals = [
        (lambda: services.add_note(sup, c, "x y"), "forward it first"),
        (lambda: services.escalate(sup, c, "too big"), "Only a complaint under investigation"),
        (lambda: services.reply(sup, c, "reply text", "letter"), "Investigate the complaint before replying."),
        (lambda: services.close(sup, c), "Only a complaint that has been replied to can be closed."),
        (lambda: services.decide(mgr, c, "ok"), "Only an escalated complaint"),
        (lambda: services.confirm_visit(sup, c, True), "Only a closed complaint gets a return visit."),
        (lambda: services.reopen(sup, c, "again"), "Only a closed complaint can be reopened."),
        (lambda: services.forward(sup, c, None), "Choose the department responsible."),
    ]
    for call, message in refusals:
        with pytest.raises(DomainError) as err:
            call()
        assert message in str(err.value.message)
    services.forward(sup, c, depts[0].id, at=hours_ago(9))
    with pytest.raises(DomainError, match="Only a newly recorded complaint can be forwarded."):
        services.forward(sup, c, depts[1].id)
    services.add_note(sup, c, "查看现场", hours_ago(8))
    services.escalate(sup, c, "费用争议", hours_ago(7))
    with pytest.raises(DomainError, match="The manager has not decided yet"):
        services.reply(sup, c, "reply text", "letter")
    with pytest.raises(DomainError, match="Only the manager decides escalated complaints."):
        services.decide(sup, c, "I decide")
    with pytest.raises(DomainError) as err:
        services.decide(mgr, c, "")
    assert err.value.field == "decision"
    with pytest.raises(DomainError, match="before the previous step"):
        services.decide(mgr, c, "ok", hours_ago(9))
    with pytest.raises(DomainError, match="cannot be in the future"):
        services.decide(mgr, c, "ok", hours_ago(-2))
    services.decide(mgr, c, "按方案处理", hours_ago(6))
    with pytest.raises(DomainError) as err:
        services.reply(sup, c, "ok", "pigeon")
    assert err.value.field == "method"


def test_not_satisfied_on_the_return_visit_reopens_the_complaint(db, estates, staff, depts):
    from plugins.complaints import services

    sup = staff["supervisor"]
    start = hours_ago(60)
    c = handle_to_replied(record(staff["clerk"], estates[0], received_at=start), sup, depts[0], start)
    services.close(sup, c, start + timedelta(hours=6))
    with pytest.raises(DomainError) as err:
        services.confirm_visit(sup, c, False, " ", start + timedelta(hours=20))
    assert err.value.field == "remarks"
    services.confirm_visit(sup, c, False, "水管还在滴水", start + timedelta(hours=20))
    assert c.state == "investigating" and c.reopen_count == 1 and c.satisfied is False
    assert c.closed_at is None and c.notes[-1].kind == "reopen" and "还在滴水" in c.notes[-1].text
    services.reply(sup, c, "重新更换了阀门，已确认不再滴水。", "visit", start + timedelta(hours=30))
    assert not c.replied_on_time  # the reply deadline stays what it was
    services.close(sup, c, start + timedelta(hours=31))
    assert c.satisfied is None
    services.confirm_visit(sup, c, True, "", start + timedelta(hours=40))
    assert c.state == "visited" and c.reopen_count == 1 and not c.effective


def test_deadlines_follow_the_estate_service_level_standard(db, estates, staff):
    from core.plugins import hook
    from core.settings import save_settings
    from plugins.complaints import sla

    e1, e2 = estates
    save_settings("complaints", {"forward_hours_serious": 3, "reply_hours_serious": 10,
                                 "reply_hours_security": 6}, e1.id)
    db.session.commit()
    start = hours_ago(1)
    mine = record(staff["clerk"], e1, severity="serious", category="security", received_at=start)
    assert mine.forward_due_at == start + timedelta(hours=3)
    assert mine.reply_due_at == start + timedelta(hours=6)  # the category limit tightens the severity's
    noise = record(staff["clerk"], e1, severity="serious", category="noise", received_at=start)
    assert noise.reply_due_at == start + timedelta(hours=10)
    manager = staff["manager"]
    manager.estates = [e1, e2]
    db.session.commit()
    from core.plugins import request_cache

    request_cache().clear()
    other = record(manager, e2, severity="serious", category="security", received_at=start)
    assert other.forward_due_at == start + timedelta(hours=1) and other.reply_due_at == start + timedelta(hours=12)
    answer = hook("deadline_for")
    assert answer(case_type="complaint.reply", estate=e1, priority="minor", start=start,
                  category=None) == start + timedelta(hours=48)
    assert answer(case_type="complaint.forward", estate=e1, priority="serious", start=start, category=None) == \
        start + timedelta(hours=3)
    assert answer(case_type="complaint.reply", estate=e1, priority="serious", start=start, category="security") == \
        start + timedelta(hours=6)
    # callers from before the category argument wrote it into the priority
    assert answer(case_type="complaint.reply", estate=e1, priority="serious:security", start=start,
                  category=None) == start + timedelta(hours=6)
    assert answer(case_type="repair", estate=e1, priority="urgent", start=start, category="lift") is None
    assert sla.target_rate([e1.id]) == 95


def test_hook_deadline_for_answers_complaint_cases_only(app, estates):
    from core.plugins import hook

    start = hours_ago(0)
    assert hook("deadline_for")(case_type="complaint.reply", estate=estates[0].id, priority="normal",
                                start=start, category=None) == start + timedelta(hours=24)
    assert hook("deadline_for")(case_type="visit.repair", estate=estates[0], priority=None, start=start,
                                category=None) is None


def test_recording_refuses_bad_input_and_saves_nothing(db, estates, staff):
    from plugins.complaints.models import Complaint

    clerk = staff["clerk"]
    cases = [
        ({"content": "   "}, "content"),
        ({"unit_number": "9-9-999"}, "unit_number"),
        ({"unit_number": "2-1-201"}, "unit_number"),  # only in E02
        ({"estate_id": estates[1].id}, "estate_id"),
        ({"received_at": hours_ago(-3)}, "received_at"),
        ({"received_at": hours_ago(24 * 400)}, "received_at"),
        ({"contact_name": "", "unit_number": ""}, "contact_name"),
        ({"contact_phone": "", "unit_number": ""}, "contact_phone"),
        ({"contact_phone": "12ab"}, "contact_phone"),
        ({"kind": "angry"}, "kind"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"category": "weather"}, "category"),
        ({"channel": "pigeon"}, "channel"),
    ]
    for change, field in cases:
        with pytest.raises(DomainError) as err:
            record(clerk, estates[0], **change)
        assert err.value.field == field, change
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_unit_of_another_estate_is_named_as_such(db, estates, staff):
    from plugins.complaints import services

    both = staff["manager"]
    both.estates = list(estates)
    db.session.commit()
    with pytest.raises(DomainError, match="Unit 2-1-201 belongs to another estate."):
        record(both, estates[0], unit_number="2-1-201")
    theirs = services.resolve_unit(both, estates[1].id, unit_number="2-1-201")
    with pytest.raises(DomainError, match="belongs to another estate"):
        record(both, estates[0], unit_id=theirs.id)
    with pytest.raises(DomainError, match="There is no such unit."):
        record(both, estates[0], unit_id=999999)


def test_a_suggestion_is_reported_decided_and_answered(db, estates, staff):
    from plugins.complaints import suggestions

    clerk, sup, mgr = staff["clerk"], staff["supervisor"], staff["manager"]
    s = suggestions.record(clerk, estate_id=estates[0].id, suggester_name="李秀英", suggester_phone="13800001111",
                           content="建议在儿童游乐区加装遮阳棚", received_at=hours_ago(50))
    assert s.number.startswith("JY-E01-") and s.state == "recorded"
    with pytest.raises(DomainError, match="reported to the manager can be decided"):
        suggestions.decide(mgr, s, "adopt", plan="加装遮阳棚")
    with pytest.raises(DomainError, match="after the manager has decided"):
        suggestions.answer(sup, s, "谢谢")
    suggestions.report(sup, s, hours_ago(48))
    assert s.state == "reported" and s.reported_by_id == sup.id
    with pytest.raises(DomainError, match="Only the manager decides on suggestions."):
        suggestions.decide(sup, s, "adopt", plan="加装遮阳棚")
    with pytest.raises(DomainError) as err:
        suggestions.decide(mgr, s, "adopt", plan="")
    assert err.value.field == "plan"
    with pytest.raises(DomainError) as err:
        suggestions.decide(mgr, s, "decline", reason="")
    assert err.value.field == "reason"
    suggestions.decide(mgr, s, "adopt", plan="两周内在游乐区加装遮阳棚两处", at=hours_ago(24))
    assert s.state == "adopted" and s.plan.startswith("两周内") and s.decided_by_id == mgr.id
    suggestions.answer(sup, s, "感谢您的建议，遮阳棚将于两周内完工。", hours_ago(20))
    assert s.state == "answered" and s.answered_at is not None
    with pytest.raises(DomainError):
        suggestions.report(sup, s)

    other = suggestions.record(clerk, estate_id=estates[0].id, suggester_name="张伟", content="取消垃圾分类督导员")
    suggestions.report(sup, other)
    suggestions.decide(mgr, other, "decline", reason="街道要求的常态化工作")
    assert other.state == "declined" and other.plan is None
    with pytest.raises(DomainError) as err:
        suggestions.record(clerk, estate_id=estates[0].id, suggester_name="", content="something")
    assert err.value.field == "suggester_name"

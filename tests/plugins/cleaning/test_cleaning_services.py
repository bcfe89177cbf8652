"""The cleaning services: inspections (OK, rework, the vendor's rectification through the vendors
plugin, with vendors enabled and disabled), verification, pest control and training, the pass
rate — and every refusal saving nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core.attachments import Attachment
from core.audit import acting_as
from core.errors import DomainError
from plugins.cleaning import services
from plugins.cleaning.models import CleanCheck, CleanLine, CleanStep, PestPlan, PestRecord
from tests.plugins.cleaning.conftest import PNG, all_ok, set_vendors


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _photo(name="stain.png"):
    return FileStorage(stream=io.BytesIO(PNG), filename=name, content_type="image/png")


def test_an_inspection_all_ok_is_numbered_and_keeps_the_plan_as_it_was(db, staff):
    s = staff
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t2, s.t3))
        db.session.commit()
    c = db.session.get(CleanCheck, c.id)
    assert c.number.startswith("BJ-E01-2026-") and (c.passed, c.state, c.shortcomings) == (True, "passed", 0)
    assert c.vendor == "洁美保洁" and c.remedy == "" and c.deadline is None
    assert [(line.title, line.ok) for line in c.lines] == [("地面湿拖", True), ("擦拭信报箱", True), ("清洁入口玻璃", True)]
    with acting_as(s.sup):
        services.retire_task(s.sup, s.t3)
        db.session.commit()
    assert [t.title for t in services.plan_of(s.area.id)] == ["地面湿拖", "擦拭信报箱"]
    assert len(db.session.get(CleanCheck, c.id).lines) == 3


def test_shortcomings_go_to_rework_and_stay_open_until_verified(db, staff):
    s = staff
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today - timedelta(days=2),
                                       results=all_ok(s.t1, s.t2, s.t3, 地面湿拖="有明显水渍"), remedy="rework",
                                       deadline=s.today, photos=[_photo()])
        db.session.commit()
        assert (c.passed, c.state, c.shortcomings, c.remedy) == (False, "open", 1, "rework")
        assert [a.filename for a in db.session.scalars(select(Attachment).where(
            Attachment.owner_table == "cleaning_clean_check", Attachment.owner_id == c.id))] == ["stain.png"]
        assert c.is_overdue(s.today + timedelta(days=1))

        def refused(field, **kw):
            args = dict(verified_on=s.today, passed=False, note="仍有水渍", new_deadline=s.today + timedelta(days=1))
            args.update(kw)
            before = _count(db, CleanStep)
            with pytest.raises(DomainError) as exc:
                services.verify(s.sup, c, **args)
            db.session.rollback()
            assert exc.value.field == field and _count(db, CleanStep) == before

        refused("verified_on", verified_on=s.today - timedelta(days=3))  # before the inspection
        refused("verified_on", verified_on=s.today + timedelta(days=1))  # the future
        refused("new_deadline", new_deadline=s.today)
        refused("note", note=" ")
        services.verify(s.sup, c, verified_on=s.today - timedelta(days=1), passed=False, note="仍有水渍",
                        new_deadline=s.today + timedelta(days=2))
        db.session.commit()
        assert (c.state, c.deadline) == ("open", s.today + timedelta(days=2))
        refused("verified_on", verified_on=s.today - timedelta(days=2))  # before the last step
        services.verify(s.sup, c, verified_on=s.today, passed=True)
        db.session.commit()
    c = db.session.get(CleanCheck, c.id)
    assert (c.state, c.verified_on) == ("verified", s.today)
    assert [st.kind for st in c.steps] == ["rework", "failed", "passed"]
    with pytest.raises(DomainError):
        services.verify(s.sup, c, verified_on=s.today, passed=True)


def test_a_shortcoming_becomes_the_vendors_rectification_notice_with_the_photo(db, staff):
    from plugins.vendors.models import Rectification

    s = staff
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today,
                                       results=all_ok(s.t1, s.t2, s.t3, 擦拭信报箱="信报箱积灰"), remedy="vendor",
                                       deadline=s.today + timedelta(days=2), photos=[_photo("box.png")])
        db.session.commit()
    r = db.session.get(Rectification, c.rectification_id)
    assert r.number == c.rectification_number and r.number.startswith("WZ-E01-2026-")
    assert (r.contract_id, r.source, r.source_ref, r.deadline) == (s.contract.id, "cleaning", c.number,
                                                                 s.today + timedelta(days=2))
    assert "擦拭信报箱: 信报箱积灰" in r.detail and "1栋大堂" in r.title
    assert [a.filename for a in db.session.scalars(select(Attachment).where(
        Attachment.owner_table == "vendors_rectification", Attachment.owner_id == r.id))] == ["box.png"]
    assert services.rectification_state(s.sup, c) == "Waiting for the vendor"
    assert services.awaits_vendor(s.sup, c)


def test_with_vendors_disabled_shortcomings_go_to_rework_only(db, staff):
    s = staff
    set_vendors(False)
    before = (_count(db, CleanCheck), _count(db, CleanLine), _count(db, Attachment))
    with acting_as(s.sup), pytest.raises(DomainError) as exc:
        services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t2, s.t3, 地面湿拖="脏"),
                                   remedy="vendor", deadline=s.today + timedelta(days=1), photos=[_photo()])
    db.session.rollback()
    assert exc.value.field == "remedy" and "vendors plugin is not enabled" in exc.value.message
    assert (_count(db, CleanCheck), _count(db, CleanLine), _count(db, Attachment)) == before
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t2, s.t3, 地面湿拖="脏"),
                                       remedy="rework", deadline=s.today + timedelta(days=1))
        db.session.commit()
    assert c.remedy == "rework" and c.rectification_id is None
    assert services.rectification_state(s.sup, c) is None


def test_bad_inspections_are_refused_and_save_nothing(db, staff):
    s = staff
    set_vendors(True)

    def refused(field, area=None, **kw):
        args = dict(inspected_on=s.today, results=all_ok(s.t1, s.t2, s.t3, 地面湿拖="脏"), remedy="rework",
                    deadline=s.today + timedelta(days=1), photos=[_photo()])
        args.update(kw)
        before = (_count(db, CleanCheck), _count(db, CleanLine), _count(db, Attachment), _count(db, CleanStep))
        with acting_as(s.sup), pytest.raises(DomainError) as exc:
            services.record_inspection(s.sup, area or s.area, **args)
        db.session.rollback()
        assert exc.value.field == field, exc.value.message
        assert (_count(db, CleanCheck), _count(db, CleanLine), _count(db, Attachment), _count(db, CleanStep)) == before
        return exc.value.message

    assert "not one of your estates" in refused(None, area=s.area2, results=all_ok(s.t21))
    refused("inspected_on", inspected_on=s.today + timedelta(days=1))
    refused("inspected_on", inspected_on=None)
    refused("deadline", deadline=s.today)  # not after the inspection
    refused("deadline", deadline=None)
    refused("remedy", remedy="")
    refused(f"m_{s.t1.id}", results=all_ok(s.t1, s.t2, s.t3, 地面湿拖=" "))  # a shortcoming without a remark
    refused(f"r_{s.t3.id}", results=all_ok(s.t1, s.t2))  # an item left unmarked
    refused("deadline", inspected_on=s.today - timedelta(days=3), remedy="vendor", deadline=s.today)
    refused("photos", photos=[FileStorage(stream=io.BytesIO(b"not a photo"), filename="x.png")])
    with acting_as(s.clerk), pytest.raises(DomainError):  # a clerk sees cleaning but does not inspect
        services.record_inspection(s.clerk, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t2, s.t3))


def test_pest_plans_records_and_training_refuse_dates_out_of_order(db, staff):
    s = staff
    with acting_as(s.sup):
        with pytest.raises(DomainError) as exc:
            services.add_pest_plan(s.sup, estate_id=s.e1.id, kind="pest_control", title="除四害", pests=["rats"],
                                   scope="地下室", method="", every_days=14, start_on=date(2026, 6, 1),
                                   end_on=date(2026, 5, 1))
        assert exc.value.field == "end_on"
        with pytest.raises(DomainError) as exc:
            services.add_pest_plan(s.sup, estate_id=s.e1.id, kind="pest_control", title="除四害", pests=[],
                                   scope="地下室", method="", every_days=14, start_on=date(2026, 1, 1),
                                   end_on=date(2026, 12, 31))
        assert exc.value.field == "pests"
        with pytest.raises(DomainError):
            services.add_pest_plan(s.sup, estate_id=s.e2.id, kind="disinfection", title="消毒", pests=[],
                                   scope="电梯", method="", every_days=7, start_on=date(2026, 1, 1),
                                   end_on=date(2026, 12, 31))
        db.session.rollback()
        assert _count(db, PestPlan) == 0
        plan = services.add_pest_plan(s.sup, estate_id=s.e1.id, kind="pest_control", title="除四害",
                                      pests=["flies", "rats"], scope="地下室", method="毒饵", every_days=14,
                                      start_on=date(2026, 3, 1), end_on=date(2026, 12, 31))
        assert plan.pest_list == ["rats", "flies"]
        assert services.next_treatment(plan, None) == date(2026, 3, 1)
        for bad in (date(2026, 2, 28), s.today + timedelta(days=1), None):
            with pytest.raises(DomainError) as exc:
                services.add_pest_record(s.sup, plan, done_on=bad, done_by="安洁消杀")
            assert exc.value.field == "done_on"
        rec = services.add_pest_record(s.sup, plan, done_on=date(2026, 3, 10), done_by="安洁消杀", chemicals="溴敌隆")
        db.session.commit()
        assert _count(db, PestRecord) == 1
        assert services.next_treatment(plan, rec.done_on) == date(2026, 3, 24)
        for field, kw in (("hours", dict(hours="0")), ("hours", dict(hours="25")), ("attendees", dict(attendees=" \n")),
                          ("held_on", dict(held_on=s.today + timedelta(days=1)))):
            args = dict(estate_id=s.e1.id, held_on=s.today, topic="清洁剂安全", trainer="王主管", attendees="李梅\n张华",
                        hours="2")
            args.update(kw)
            with pytest.raises(DomainError) as exc:
                services.add_training(s.sup, **args)
            assert exc.value.field == field
        t = services.add_training(s.sup, estate_id=s.e1.id, held_on=s.today, topic="清洁剂安全", trainer="王主管",
                                  attendees="李梅\n\n张华 ", hours="1.5")
        assert (t.attendee_list, t.hours) == (["李梅", "张华"], Decimal("1.5"))


def test_the_pass_rate_per_area_and_vendor_per_month(db, staff):
    s = staff
    with acting_as(s.sup):
        own = services.add_area(s.sup, estate_id=s.e1.id, name="管理处", vendor="")
        db.session.flush()
        t = services.add_task(s.sup, own, frequency="daily", title="整理接待台")
        for day, bad in ((date(2026, 2, 3), False), (date(2026, 2, 4), True), (date(2026, 3, 2), False),
                         (date(2026, 3, 3), False), (date(2026, 3, 4), True)):
            services.record_inspection(s.sup, s.area, inspected_on=day,
                                       results=all_ok(s.t1, s.t2, s.t3, **({"地面湿拖": "脏"} if bad else {})),
                                       remedy="rework" if bad else "", deadline=day + timedelta(days=1) if bad else None)
        services.record_inspection(s.sup, own, inspected_on=date(2026, 3, 5), results=all_ok(t))
    with acting_as(s.sup_e2):  # another estate: not counted
        services.record_inspection(s.sup_e2, s.area2, inspected_on=date(2026, 3, 5), results=all_ok(s.t21, 道路清扫="落叶"),
                                   remedy="rework", deadline=date(2026, 3, 6))
    db.session.commit()
    rates = services.pass_rates([s.e1.id], s.today, months=3, by="area")
    assert rates["labels"] == ["2026-01", "2026-02", "2026-03"]
    rows = {r["key"]: r["cells"] for r in rates["rows"]}
    assert rows["1栋大堂"] == [(0, None), (2, Decimal("50.0")), (3, Decimal("66.7"))]
    assert rows["管理处"] == [(0, None), (0, None), (1, Decimal("100.0"))]
    assert rates["total"] == [(0, None), (2, Decimal("50.0")), (4, Decimal("75.0"))]
    vendors = {r["key"]: r["cells"] for r in services.pass_rates([s.e1.id], s.today, 3, "vendor")["rows"]}
    assert vendors == {"洁美保洁": rows["1栋大堂"], "": rows["管理处"]}

"""The greening services: inspections on the season's plan (OK, rework, the vendor's rectification
through the vendors plugin, with vendors enabled and disabled), verification, indoor plant
services and their visits, the pass rate — and every refusal saving nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core.attachments import Attachment
from core.audit import acting_as
from core.errors import DomainError
from plugins.greening import services
from plugins.greening.models import (
    GreenCheck,
    GreenLine,
    GreenStep,
    PlantRequest,
    PlantVisit,
    season_of,
)
from tests.plugins.greening.conftest import PNG, all_ok, set_vendors


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def _photo(name="lawn.png"):
    return FileStorage(stream=io.BytesIO(PNG), filename=name, content_type="image/png")


def test_the_seasons_plan_is_what_an_inspection_checks(db, staff):
    s = staff
    assert [season_of(date(2026, m, 1)) for m in (1, 3, 6, 9, 12)] == ["winter", "spring", "summer", "autumn", "winter"]
    assert [t.title for t in services.plan_of(s.area.id, "spring")] == ["草坪浇水", "草坪施肥"]
    assert [t.title for t in services.plan_of(s.area.id, "summer")] == ["草坪浇水", "草坪修剪"]
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t3))
        db.session.commit()
    assert c.number.startswith("LH-E01-2026-") and c.passed and c.vendor == "绿源园林"
    assert [line.title for line in c.lines] == ["草坪浇水", "草坪施肥"]  # not the summer's mowing
    with acting_as(s.sup), pytest.raises(DomainError) as exc:
        services.add_task(s.sup, s.area, kind="mowing", season="all", title="x")
    assert exc.value.field == "kind"


def test_rework_then_verification_refusing_dates_out_of_order(db, staff):
    s = staff
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today - timedelta(days=2),
                                       results=all_ok(s.t1, s.t3, 草坪浇水="草坪局部枯黄"), remedy="rework",
                                       deadline=s.today, photos=[_photo()])
        db.session.commit()
        assert (c.state, c.remedy, c.shortcomings) == ("open", "rework", 1)
        for field, kw in (("verified_on", dict(verified_on=s.today - timedelta(days=3))),
                          ("verified_on", dict(verified_on=s.today + timedelta(days=1))),
                          ("new_deadline", dict(new_deadline=s.today))):
            args = dict(verified_on=s.today, passed=False, note="仍枯黄", new_deadline=s.today + timedelta(days=2))
            args.update(kw)
            with pytest.raises(DomainError) as exc:
                services.verify(s.sup, c, **args)
            db.session.rollback()
            assert exc.value.field == field
        services.verify(s.sup, c, verified_on=s.today, passed=True)
        db.session.commit()
    assert [st.kind for st in db.session.get(GreenCheck, c.id).steps] == ["rework", "passed"]


def test_a_shortcoming_goes_to_the_greening_vendor_and_not_when_vendors_is_off(db, staff):
    from plugins.vendors.models import Rectification

    s = staff
    with acting_as(s.sup):
        c = services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t3, 草坪施肥="未按时施肥"),
                                       remedy="vendor", deadline=s.today + timedelta(days=3), photos=[_photo()])
        db.session.commit()
    r = db.session.get(Rectification, c.rectification_id)
    assert (r.contract_id, r.source, r.source_ref, r.number) == (s.contract.id, "greening", c.number,
                                                               c.rectification_number)
    assert "草坪施肥: 未按时施肥" in r.detail
    assert _count(db, Attachment) == 2  # the photo, and its copy on the notice
    set_vendors(False)
    before = (_count(db, GreenCheck), _count(db, GreenLine), _count(db, GreenStep), _count(db, Attachment))
    with acting_as(s.sup), pytest.raises(DomainError) as exc:
        services.record_inspection(s.sup, s.area, inspected_on=s.today, results=all_ok(s.t1, s.t3, 草坪施肥="x"),
                                   remedy="vendor", deadline=s.today + timedelta(days=3), photos=[_photo()])
    db.session.rollback()
    assert exc.value.field == "remedy"
    assert (_count(db, GreenCheck), _count(db, GreenLine), _count(db, GreenStep), _count(db, Attachment)) == before
    assert services.rectification_state(s.sup, c) is None


def test_bad_inspections_are_refused_and_save_nothing(db, staff):
    s = staff

    def refused(field, area=None, **kw):
        args = dict(inspected_on=s.today, results=all_ok(s.t1, s.t3, 草坪浇水="枯黄"), remedy="rework",
                    deadline=s.today + timedelta(days=1))
        args.update(kw)
        before = (_count(db, GreenCheck), _count(db, GreenLine))
        with acting_as(s.sup), pytest.raises(DomainError) as exc:
            services.record_inspection(s.sup, area or s.area, **args)
        db.session.rollback()
        assert exc.value.field == field and (_count(db, GreenCheck), _count(db, GreenLine)) == before

    refused(None, area=s.area2, results=all_ok(s.t21))  # another estate's area
    refused("inspected_on", inspected_on=s.today + timedelta(days=1))
    refused("deadline", deadline=s.today)
    refused("remedy", remedy="")
    refused(f"r_{s.t3.id}", results=all_ok(s.t1))


def test_indoor_plant_services_and_their_visits(db, staff):
    s = staff
    with acting_as(s.sup):
        for field, kw in (("end_on", dict(end_on=date(2026, 2, 1))), ("plants", dict(plants=" ")),
                          ("visits_per_month", dict(visits_per_month=0)), ("estate_id", dict(estate_id=s.e2.id))):
            args = dict(estate_id=s.e1.id, business="华信贸易公司", place="2栋1201", plants="发财树6盆",
                        visits_per_month=2, start_on=date(2026, 3, 1))
            args.update(kw)
            with pytest.raises(DomainError) as exc:
                services.add_request(s.sup, **args)
            db.session.rollback()
            assert exc.value.field == field
        assert _count(db, PlantRequest) == 0
        req = services.add_request(s.sup, estate_id=s.e1.id, business="华信贸易公司", place="2栋1201",
                                   contact_name="陈女士", plants="发财树6盆", visits_per_month=2, start_on=date(2026, 3, 1))
        for bad in (date(2026, 2, 28), s.today + timedelta(days=1)):
            with pytest.raises(DomainError) as exc:
                services.add_visit(s.sup, req, visited_on=bad, gardener="吴师傅", work="浇水")
            assert exc.value.field == "visited_on"
        services.add_visit(s.sup, req, visited_on=date(2026, 3, 5), gardener="吴师傅", work="浇水", replaced=1)
        services.add_visit(s.sup, req, visited_on=date(2026, 3, 15), gardener="吴师傅", work="浇水、擦叶")
        db.session.commit()
        assert services.visits_this_month([req.id], s.today) == {req.id: 2}
        with pytest.raises(DomainError) as exc:
            services.end_request(s.sup, req, end_on=date(2026, 3, 10))  # before the last visit
        assert exc.value.field == "end_on"
        services.end_request(s.sup, req, end_on=date(2026, 3, 16))
        db.session.commit()
        with pytest.raises(DomainError):
            services.add_visit(s.sup, req, visited_on=s.today, gardener="吴师傅", work="浇水")
    assert (req.state, _count(db, PlantVisit)) == ("ended", 2)


def test_the_pass_rate_per_area_and_vendor(db, staff):
    s = staff
    with acting_as(s.sup):
        for day, bad in ((date(2026, 3, 2), False), (date(2026, 3, 3), True)):
            services.record_inspection(s.sup, s.area, inspected_on=day,
                                       results=all_ok(s.t1, s.t3, **({"草坪浇水": "枯黄"} if bad else {})),
                                       remedy="rework" if bad else "", deadline=day + timedelta(days=1) if bad else None)
        db.session.commit()
    rates = services.pass_rates([s.e1.id], s.today, months=2, by="vendor")
    assert rates["labels"] == ["2026-02", "2026-03"]
    assert [(r["key"], r["cells"][1]) for r in rates["rows"]] == [("绿源园林", (2, 50))]

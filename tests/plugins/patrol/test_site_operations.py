"""The five site-operations plugins together (issue 13): patrol, vendors, cleaning, greening and
inventory, with repairs. A patrol problem goes to the cleaning vendor as a rectification notice
(vendors' documented ``raise_rectification``), its state is read back through vendors'
``rectification_states`` on the patrol, the problem and the building log, and closing the notice
marks the problem rectified (``vendors_rectification_closed``); another problem becomes a repair
order the store room issues material to; a cleaning inspection's shortcoming goes to the same
vendor; the vendor's monthly evaluation counts both notices. Then each partner disabled."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from core.attachments import Attachment
from core.audit import acting_as
from core.extensions import db
from core.forms import new_once_key
from core.testing import refused
from plugins.patrol import services
from plugins.patrol.models import Patrol, PatrolProblem, PatrolVisit
from tests.plugins.patrol.conftest import DAY, MORNING, PNG, login

SHEET = [("地面", "洁净", "60"), ("垃圾", "日产日清", "40")]


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        from core.demo import ensure_roles
        from core.site import enable, refresh

        ensure_roles()
        db.session.commit()
        for code in ("repairs", "patrol", "vendors", "cleaning", "greening", "inventory"):
            enable(code)
        db.session.commit()
        refresh(force=True)
        yield app


def set_plugin(code: str, on: bool):
    from core.site import disable, enable, refresh

    (enable if on else disable)(code)
    db.session.commit()
    refresh(force=True)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def photo(name="dirty.png"):
    return FileStorage(stream=io.BytesIO(PNG), filename=name, content_type="image/png")


@pytest.fixture
def site(app, staff, route, make_user, clock):
    """E01 on a November morning: a cleaning vendor under contract, a cleaning area, a store room
    with ten taps, a cleaning supervisor and a storekeeper."""
    from types import SimpleNamespace

    from plugins.cleaning import services as cleaning
    from plugins.inventory import services as inventory
    from plugins.vendors import services as vendors

    clock.move_to(MORNING)
    s = SimpleNamespace(cleaner=make_user("cleaning", [staff.e1], username="clean1", full_name="黄主管"),
                        keeper=make_user("clerk", [staff.e1], username="keeper1", full_name="刘库管"))
    with acting_as(staff.sup):
        vendors.save_sheet(staff.sup, "cleaning", SHEET)
        s.vendor = vendors.add_vendor(staff.sup, name="洁美保洁服务有限公司")
        s.contract = vendors.add_contract(staff.sup, estate_id=staff.e1.id, vendor_id=s.vendor.id,
                                          number="BJ-E01-01", service_kind="cleaning", scope="公共区域保洁",
                                          start_on=date(2026, 1, 1), end_on=date(2026, 12, 31),
                                          amount=Decimal("360000.00"))
        s.area = cleaning.add_area(staff.sup, estate_id=staff.e1.id, name="1栋大堂", vendor="洁美保洁")
        db.session.flush()
        s.task = cleaning.add_task(staff.sup, s.area, frequency="daily", title="地面湿拖")
        s.store = inventory.add_store(staff.sup, estate_id=staff.e1.id, code="KF-1", name="工程库房")
        db.session.flush()
        s.item = inventory.add_item(staff.sup, s.store, code="WJ-001", name="水龙头", unit="个", min_stock=Decimal("2"))
        db.session.flush()
        inventory.receive(staff.sup, s.item, quantity=Decimal("10"), unit_cost=Decimal("25.00"), supplier="华信五金")
    db.session.commit()
    return s


def to_vendor(staff, point, **kw):
    args = dict(result="problem", category="cleaning", note="大堂地面有大片污渍", send_to="vendor",
                service_kind="cleaning", deadline=DAY + timedelta(days=2))
    args.update(kw)
    return services.record_visit(staff.guard, point, **args)


def test_a_day_of_the_five_plugins_together(app, client, staff, route, site, clock):
    from plugins.cleaning import services as cleaning
    from plugins.inventory import services as inventory
    from plugins.repairs import services as repairs
    from plugins.repairs.models import Repair, WorkOrder
    from plugins.vendors import services as vendors
    from plugins.vendors.models import Rectification

    p1, p2, p3 = route.points
    # The patroller finds the lobby dirty: a rectification notice to the cleaning vendor, with the photo.
    with acting_as(staff.guard):
        v1 = to_vendor(staff, p1, photos=[photo()])
        patrol = db.session.get(Patrol, v1.patrol_id)
        # The pump room: a repair order, as before (the default).
        services.record_visit(staff.guard, p2, patrol=patrol, result="problem", category="facilities",
                              note="水泵房水龙头漏水")
        db.session.commit()
    dirty, leak = db.session.scalars(select(PatrolProblem).order_by(PatrolProblem.id)).all()
    notice = db.session.get(Rectification, dirty.rectification_id)
    assert (dirty.state, dirty.service_kind, dirty.rectification_number, dirty.repair_id) == (
        "vendor", "cleaning", notice.number, None)
    assert (notice.contract_id, notice.source, notice.source_ref, notice.deadline, notice.detail) == (
        site.contract.id, "patrol", f"{patrol.number}/P-01", DAY + timedelta(days=2), "大堂地面有大片污渍")
    assert "P-01" in notice.title and patrol.number in notice.title
    assert [a.filename for a in db.session.scalars(select(Attachment).where(
        Attachment.owner_table == "vendors_rectification", Attachment.owner_id == notice.id))] == ["dirty.png"]
    assert (leak.state, leak.rectification_id) == ("repair", None) and leak.repair_number

    # The cleaning supervisor's daily inspection: a shortcoming to the same vendor.
    with acting_as(site.cleaner):
        check = cleaning.record_inspection(site.cleaner, site.area, inspected_on=DAY,
                                           results={site.task.id: (False, "地面有水渍")}, remedy="vendor",
                                           deadline=DAY + timedelta(days=1))
        db.session.commit()
    assert check.rectification_number and check.rectification_number != dirty.rectification_number
    assert cleaning.rectification_state(site.cleaner, check) == "Waiting for the vendor"

    # The store room issues a tap to the repair order made of the leak.
    repair = db.session.get(Repair, leak.repair_id)
    with acting_as(staff.sup):
        order = repairs.dispatch(staff.sup, repair, staff.guard2.id, "更换水龙头")
        db.session.commit()
    with acting_as(site.keeper):
        inventory.issue(site.keeper, site.item, quantity=Decimal("1"), work_order_number=order.number,
                        received_by="张师傅")
        db.session.commit()
    assert "WJ-001" in db.session.get(WorkOrder, order.id).materials
    assert db.session.get(type(site.item), site.item.id).on_hand == Decimal("9")

    # The notice's state shows on the patrol, the problem and the building log (read through vendors).
    states = services.rectification_progress(staff.sup, [dirty])
    assert (states[notice.id].number, states[notice.id].state, states[notice.id].label) == (
        notice.number, "open", "Waiting for the vendor")
    assert services.rectification_progress(staff.sup_e2, [dirty]) == {}  # another estate's: not read
    assert services.building_log(staff.e1, DAY)["problems"] == [dirty, leak]
    login(client, staff.sup)
    for url in (f"/patrol/patrols/{patrol.id}", f"/patrol/problems/{dirty.id}",
                f"/patrol/log?estate={staff.e1.id}&day={DAY.isoformat()}",
                f"/patrol/log/print?estate={staff.e1.id}&day={DAY.isoformat()}"):
        page = client.get(url).get_data(as_text=True)
        assert notice.number in page and "Waiting for the vendor" in page, url
    assert client.get("/patrol/problems?q=" + notice.number).get_data(as_text=True).count(notice.number) >= 1

    # The vendor's monthly evaluation counts both notices (patrol's and cleaning's).
    with acting_as(staff.sup):
        items = vendors.sheet("cleaning")
        vendors.record_inspection(staff.sup, site.contract, inspected_on=DAY,
                                  points={i.id: i.weight for i in items})
        ev = vendors.evaluate_month(staff.sup, site.contract, DAY)
        db.session.commit()
    assert (ev.inspections, ev.rectifications) == (1, 2)

    # The vendor answers, the re-check passes: the patrol problem is rectified.
    clock.shift(timedelta(days=1))
    with acting_as(staff.sup):
        vendors.record_response(staff.sup, notice, responded_on=DAY + timedelta(days=1), responder="周经理",
                                note="已重新清洗大堂地面")
        vendors.recheck(staff.sup, notice, checked_on=DAY + timedelta(days=1), passed=True)
        db.session.commit()
    dirty = db.session.get(PatrolProblem, dirty.id)
    assert dirty.state == "rectified" and dirty.resolved_at is not None
    assert services.rectification_progress(staff.sup, [dirty])[notice.id].label == "Closed"
    refused("followed up by rectification notice", services.follow_up, staff.sup, dirty, state="resolved",
            note="已处理")


def test_no_contract_for_the_service_that_day_is_refused_and_nothing_saved(app, client, staff, route, site):
    before = (count(PatrolVisit), count(PatrolProblem), count(Patrol), count(Attachment))
    err = refused("No vendor's contract of this service is in force", to_vendor, staff, route.points[0],
                  service_kind="greening", photos=[photo()])
    assert err.field == "service_kind"
    assert refused("Choose the vendor's service.", to_vendor, staff, route.points[0], service_kind="").field == \
        "service_kind"
    assert refused("The vendor's deadline must be after today.", to_vendor, staff, route.points[0],
                   deadline=DAY).field == "deadline"
    assert refused("Enter the day the vendor must put it right by.", to_vendor, staff, route.points[0],
                   deadline=None).field == "deadline"
    assert refused("Choose where the problem goes.", to_vendor, staff, route.points[0], send_to="nowhere").field \
        == "send_to"
    assert (count(PatrolVisit), count(PatrolProblem), count(Patrol), count(Attachment)) == before
    # On the check form (the patroller reads Chinese): the refusal beside the field, nothing recorded.
    staff.guard.locale = "zh_CN"
    db.session.commit()
    login(client, staff.guard)
    page = client.get(f"/patrol/c/{route.points[0].id}").get_data(as_text=True)
    assert 'name="send_to"' in page and "保洁 · 洁美保洁服务有限公司" in page and "问题交由" in page
    resp = client.post(f"/patrol/c/{route.points[0].id}", data={
        "once_key": new_once_key(), "patrol_id": "", "result": "problem", "category": "greening",
        "note": "草坪枯黄", "contact_phone": "", "send_to": "vendor", "service_kind": "greening",
        "deadline": (DAY + timedelta(days=3)).isoformat()})
    assert resp.status_code == 422
    assert (f"{staff.e1.name}今天没有生效的该项外包服务合同：未作任何记录。" in resp.get_data(as_text=True))
    assert (count(PatrolVisit), count(PatrolProblem), count(Patrol)) == before[:3]
    # The same form with the cleaning contract goes through.
    resp = client.post(f"/patrol/c/{route.points[0].id}", data={
        "once_key": new_once_key(), "patrol_id": "", "result": "problem", "category": "cleaning",
        "note": "大堂地面有污渍", "contact_phone": "", "send_to": "vendor", "service_kind": "cleaning",
        "deadline": (DAY + timedelta(days=3)).isoformat()})
    assert resp.status_code == 302
    problem = db.session.scalar(select(PatrolProblem))
    assert problem.state == "vendor" and problem.rectification_number.startswith("WZ-E01-")


def test_with_vendors_disabled_the_choice_is_not_offered_and_the_service_refuses(app, client, staff, route, site):
    from plugins.cleaning import services as cleaning

    with acting_as(staff.guard):
        to_vendor(staff, route.points[0])
        db.session.commit()
    with acting_as(site.cleaner):
        check = cleaning.record_inspection(site.cleaner, site.area, inspected_on=DAY,
                                           results={site.task.id: (False, "地面有水渍")}, remedy="vendor",
                                           deadline=DAY + timedelta(days=1))
        db.session.commit()
    set_plugin("vendors", False)
    try:
        problem = db.session.scalar(select(PatrolProblem))
        before = (count(PatrolVisit), count(PatrolProblem))
        refused("The vendors plugin is not enabled", to_vendor, staff, route.points[1])
        assert (count(PatrolVisit), count(PatrolProblem)) == before
        assert services.vendor_kinds(staff.sup, staff.e1.id) == []
        assert services.rectification_progress(staff.sup, [problem]) == {}
        assert cleaning.rectification_state(site.cleaner, check) is None
        # A problem still becomes a repair order; the earlier notice's number stays on its problem.
        with acting_as(staff.guard):
            services.record_visit(staff.guard, route.points[1], patrol=db.session.get(Patrol, problem.patrol_id),
                                  result="problem", category="fire", note="灭火器过期")
            db.session.commit()
        assert db.session.scalars(select(PatrolProblem.state).order_by(PatrolProblem.id)).all() == ["vendor", "repair"]
        login(client, staff.sup)
        page = client.get(f"/patrol/c/{route.points[2].id}").get_data(as_text=True)
        assert 'name="send_to"' not in page and 'name="service_kind"' not in page
        page = client.get(f"/patrol/problems/{problem.id}").get_data(as_text=True)
        assert problem.rectification_number in page and "rectification-link" not in page
    finally:
        set_plugin("vendors", True)


def test_with_repairs_disabled_a_problem_is_followed_up_here_or_sent_to_the_vendor(app, client, staff, route, site):
    set_plugin("repairs", False)
    try:
        refused("The repairs plugin is not enabled", to_vendor, staff, route.points[0], send_to="repair")
        assert count(PatrolVisit) == 0
        with acting_as(staff.guard):
            v = services.record_visit(staff.guard, route.points[0], result="problem", category="signs",
                                      note="指示牌脱落")
            to_vendor(staff, route.points[1], patrol=db.session.get(Patrol, v.patrol_id))
            db.session.commit()
        here, vendor = db.session.scalars(select(PatrolProblem).order_by(PatrolProblem.id)).all()
        assert (here.state, here.repair_id, here.rectification_id) == ("open", None, None)
        assert vendor.state == "vendor" and vendor.rectification_number
        login(client, staff.guard)
        page = client.get(f"/patrol/c/{route.points[2].id}").get_data(as_text=True)
        assert 'value="here"' in page and 'value="vendor"' in page and 'value="repair"' not in page
    finally:
        set_plugin("repairs", True)

"""What vendors offers the rest of PropDesk: the ``raise_rectification`` service for other
plugins, the jobs (expiring contracts, overdue notices), the permissions on the standard roles,
the demo data, and its routes gone when it is disabled."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.attachments import Attachment
from core.audit import acting_as
from core.errors import DomainError
from core.models import Notification, Role
from core.testing import make_estate
from plugins.vendors import demo, services
from plugins.vendors.jobs import notify_expiring, notify_overdue
from plugins.vendors.models import Contract, Evaluation, Inspection, Rectification, Vendor
from tests.plugins.vendors.conftest import SHANGHAI


def _att(db, estate_id, name="leak.jpg"):
    att = Attachment(estate_id=estate_id, owner_table="cleaning_check", owner_id=1, filename=name,
                     content_type="image/jpeg", size=3, stored_as=f"{estate_id}/{name}")
    db.session.add(att)
    db.session.commit()
    return att


def test_another_plugin_raises_a_rectification_to_the_vendor_holding_the_contract(db, staff):
    photo = _att(db, staff.e1.id)
    with acting_as(staff.clerk):  # the caller's own permission was checked by the caller
        r = services.raise_rectification(
            staff.tech, estate_id=staff.e1.id, service_kind="cleaning", title="3栋大堂地面有污渍",
            detail="保洁日检发现：3栋大堂地面有明显污渍", deadline=staff.today + timedelta(days=2),
            source="cleaning", source_ref="BJ-2026-0042", attachment_ids=[photo.id])
        db.session.commit()
    r = db.session.get(Rectification, r.id)
    assert (r.contract_id, r.estate_id, r.source, r.source_ref, r.state) == (
        staff.c1.id, staff.e1.id, "cleaning", "BJ-2026-0042", "open")
    assert r.number.startswith("WZ-E01-2026-") and r.issued_on == staff.today
    copies = db.session.scalars(select(Attachment).where(Attachment.owner_table == "vendors_rectification",
                                                         Attachment.owner_id == r.id)).all()
    assert [a.filename for a in copies] == ["leak.jpg"]

    def refused(field, **changes):
        args = dict(estate_id=staff.e1.id, service_kind="cleaning", title="x", detail="y",
                    deadline=staff.today + timedelta(days=2), source="cleaning", source_ref="1")
        args.update(changes)
        before = db.session.scalar(select(func.count()).select_from(Rectification))
        with pytest.raises(DomainError) as exc:
            services.raise_rectification(staff.tech, **args)
        db.session.rollback()
        assert exc.value.field == field
        assert db.session.scalar(select(func.count()).select_from(Rectification)) == before

    refused("estate_id", estate_id=staff.e2.id)
    refused("service_kind", service_kind="greening")  # no greening contract in force
    refused("service_kind", service_kind="catering")
    refused("deadline", deadline=staff.today)
    refused("title", title=" ")
    refused("source", source="")
    refused("attachment_ids", attachment_ids=[_att(db, staff.e2.id, "theirs.jpg").id])


def test_the_jobs_warn_once_of_expiring_contracts_and_overdue_notices(db, staff, clock):
    with acting_as(staff.sup):
        c = services.add_contract(staff.sup, estate_id=staff.e1.id, vendor_id=staff.vendor.id, number="LH-01",
                                  service_kind="greening", scope="绿化养护", start_on=date(2025, 4, 1),
                                  end_on=staff.today + timedelta(days=10), amount=Decimal("1000"))
        r = services.raise_rectification(staff.sup, estate_id=staff.e1.id, service_kind="cleaning", title="垃圾满溢",
                                         detail="2号垃圾点", deadline=staff.today + timedelta(days=1),
                                         source="patrol", source_ref="XS-1")
        db.session.commit()
    notify_expiring()
    db.session.commit()
    titles = db.session.scalars(select(Notification.title)).all()
    assert any("LH-01" in t for t in titles) and not any("BJ-E01-01" in t for t in titles)
    assert db.session.get(Contract, c.id).expiry_notified_on == staff.today
    assert notify_overdue() == "0 overdue rectification notices notified"
    clock.move_to(datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI))
    notify_overdue()
    db.session.commit()
    overdue = [t for t in db.session.scalars(select(Notification.title)) if r.number in t]
    assert overdue and notify_overdue() == "0 overdue rectification notices notified"
    n = db.session.scalar(select(func.count()).select_from(Notification))
    notify_expiring()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == n


def test_permissions_on_the_standard_roles(db, app):
    def codes(role):
        return set(db.session.scalar(select(Role).where(Role.code == role)).permission_codes)

    assert {"vendors.view", "vendors.inspect", "vendors.manage", "vendors.evaluate"} <= codes("supervisor")
    assert {"vendors.view", "vendors.inspect"} <= codes("cleaning") and "vendors.manage" not in codes("cleaning")
    assert {"vendors.view", "vendors.inspect"} <= codes("clerk") and "vendors.evaluate" not in codes("clerk")
    assert not {c for c in codes("cashier") | codes("technician") | codes("frontdesk") if c.startswith("vendors.")}


def test_demo_vendors_in_two_estates(app, db, make_user, clock):
    clock.move_to(datetime(2026, 3, 18, 10, 0, tzinfo=SHANGHAI))
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    d1 = make_estate("D01", "Demo Garden")
    d2 = make_estate("D02", "Demo Park")
    users = {"supervisor": make_user("supervisor", [d1], username="dsup"),
             "manager": make_user("manager", [d1, d2], username="dmgr")}
    for est in (d1, d2):
        demo.load(est, users)
    db.session.commit()
    vendors = db.session.scalars(select(Vendor.name).order_by(Vendor.name)).all()
    assert vendors == ["洁美保洁服务有限公司", "绿源园林绿化工程有限公司"]  # one company serves both estates
    for est in (d1, d2):
        assert db.session.scalar(select(func.count()).select_from(Contract).where(Contract.estate_id == est.id)) == 2
        assert db.session.scalar(select(func.count()).select_from(Inspection)
                                 .where(Inspection.estate_id == est.id)) == 16
        assert db.session.scalar(select(func.count()).select_from(Evaluation).where(
            Evaluation.estate_id == est.id, Evaluation.state == "confirmed")) == 2
        assert db.session.scalar(select(func.count()).select_from(Rectification)
                                 .where(Rectification.estate_id == est.id)) >= 4
    green = db.session.scalar(select(Contract).where(Contract.estate_id == d1.id,
                                                     Contract.service_kind == "greening"))
    assert services.contract_state(green, date(2026, 3, 18)) == "expiring"
    # Loading again adds nothing.
    demo.load(d1, users)
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 4


def test_disabled_vendors_answers_404_and_other_plugins_see_it_off(client, db, staff):
    from core.plugins import is_enabled
    from core.site import disable, refresh
    from tests.plugins.vendors.conftest import login

    login(client, staff.sup)
    assert client.get("/vendors/").status_code == 200
    disable("vendors")
    db.session.commit()
    refresh(force=True)
    assert not is_enabled("vendors")
    assert client.get("/vendors/").status_code == 404
    assert client.get(f"/vendors/contracts/{staff.c1.id}").status_code == 404


def test_the_read_services_show_only_the_users_estates(db, staff, clock):
    """``contracts_in_force`` and ``rectification_states`` (documented for cleaning, greening,
    patrol): the user's estates only, the state's label translated, overdue by the estate's day."""
    with acting_as(staff.sup):
        r = services.raise_rectification(staff.sup, estate_id=staff.e1.id, service_kind="cleaning", title="垃圾满溢",
                                         detail="2号垃圾点", deadline=staff.today + timedelta(days=1),
                                         source="patrol", source_ref="XS-1/P-01")
        db.session.commit()
    kinds = services.contracts_in_force(staff.clerk, staff.e1.id)
    assert [(k.service_kind, k.label, k.vendor, k.number) for k in kinds] == [
        ("cleaning", "Cleaning", "洁美保洁服务有限公司", "BJ-E01-01")]
    assert services.contracts_in_force(staff.clerk, staff.e2.id) == []  # not the clerk's estate
    st = services.rectification_states(staff.tech, [r.id, 999999])  # no vendors permission needed
    assert list(st) == [r.id]
    assert (st[r.id].number, st[r.id].state, st[r.id].label, st[r.id].deadline, st[r.id].overdue) == (
        r.number, "open", "Waiting for the vendor", staff.today + timedelta(days=1), False)
    assert services.rectification_states(staff.sup_e2, [r.id]) == {}
    clock.shift(timedelta(days=2))
    assert services.rectification_states(staff.sup, [r.id])[r.id].overdue is True


def test_a_passed_recheck_fires_vendors_rectification_closed(db, staff, temp_plugin, make_app):
    from plugins.vendors import hookspecs

    assert "patrol" in hookspecs.vendors_rectification_closed.__doc__
    seen = []

    class Listener:
        @staticmethod
        def vendors_rectification_closed(rectification):
            seen.append((rectification.number, rectification.state, rectification.source_ref))

    from core import hookimpl
    from core.plugins import plugins

    Listener.vendors_rectification_closed = hookimpl(Listener.vendors_rectification_closed)

    plugins().pm.register(Listener, name="listener-test")
    plugins()._callers.clear()
    try:
        with acting_as(staff.sup):
            r = services.raise_rectification(staff.sup, estate_id=staff.e1.id, service_kind="cleaning",
                                             title="垃圾满溢", detail="2号垃圾点",
                                             deadline=staff.today + timedelta(days=1), source="patrol",
                                             source_ref="XS-1/P-01")
            services.record_response(staff.sup, r, responded_on=staff.today, responder="周经理", note="已清运")
            assert seen == []
            services.recheck(staff.sup, r, checked_on=staff.today, passed=True)
            db.session.commit()
    finally:
        plugins().pm.unregister(name="listener-test")
        plugins()._callers.clear()
    assert seen == [(r.number, "closed", "XS-1/P-01")]

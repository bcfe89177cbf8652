"""The car park's rules, tested through the services (as views and the CLI use them)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.errors import DomainError
from core.extensions import db


def test_a_manager_adds_a_space_and_the_number_is_unique_in_the_estate(manager, add_space, estates):
    from propdesk_parking import services

    space = add_space("b1-023")
    assert (space.code, space.tenure, space.estate_id) == ("B1-023", "rental", estates[0].id)
    with pytest.raises(DomainError, match="exists already") as exc:
        services.add_space(manager, estate_id=estates[0].id, code="B1-023", tenure="owned")
    assert exc.value.field == "code"


def test_a_manager_cannot_add_a_space_to_another_office_s_estate(manager, estates):
    from propdesk_parking import services

    with pytest.raises(DomainError) as exc:
        services.add_space(manager, estate_id=estates[1].id, code="B1-001", tenure="rental")
    assert exc.value.field == "estate_id"


def test_a_space_serves_one_unit_at_a_time(manager, add_space, unit):
    from propdesk_parking import services

    space = add_space("B1-023")
    services.assign(manager, space, unit_number="3-2-1201", plate="粤b12345",
                    starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30))
    db.session.commit()
    with pytest.raises(DomainError, match="assigned to 3-2-1201") as exc:
        services.assign(manager, space, unit_number="1-1-101", plate="",
                        starts_on=date(2026, 6, 1), ends_on=None)
    assert exc.value.field == "starts_on"
    later = services.assign(manager, space, unit_number="1-1-101", plate="",
                            starts_on=date(2026, 7, 1), ends_on=None)
    db.session.commit()
    assert [a.plate for a in services.spaces_of_unit(unit.id, date(2026, 3, 1))] == ["粤B12345"]
    assert space.holder_on(date(2026, 8, 1)) is later


def test_a_space_is_only_assigned_to_a_unit_of_its_own_estate(manager, add_space):
    from propdesk_parking import services

    space = add_space("B1-023")
    with pytest.raises(DomainError, match="No unit 2-1-201") as exc:
        services.assign(manager, space, unit_number="2-1-201", plate="",  # a unit of E02 only
                        starts_on=date(2026, 1, 1), ends_on=None)
    assert exc.value.field == "unit_number"


def test_ending_an_assignment_frees_the_space(manager, add_space):
    from propdesk_parking import services

    space = add_space("B1-023")
    a = services.assign(manager, space, unit_number="3-2-1201", plate="", starts_on=date(2026, 1, 1),
                        ends_on=None)
    services.end_assignment(manager, a, date(2026, 3, 31))
    db.session.commit()
    assert space.holder_on(date(2026, 4, 1)) is None
    with pytest.raises(DomainError, match="ends on 2026-03-31 already"):
        services.end_assignment(manager, a, date(2026, 5, 1))


def test_other_plugins_hear_of_an_assignment_through_parking_space_assigned(
        make_app, temp_plugin, manager):
    """parking offers its own event hook; a fees plugin could open the monthly charge here."""
    listener = temp_plugin("monthlyfees", None, """
        from core import hookimpl
        HEARD = []

        @hookimpl(optionalhook=True)
        def parking_space_assigned(assignment):
            HEARD.append((assignment.space.code, assignment.unit.number))
    """)
    site, manager_id = make_app(plugins=["parking"], extra=dict([listener])), manager.id
    with site.app_context():  # a second site: its own session, so load the manager afresh
        from propdesk_parking import services

        from core.models import User
        from core.site import refresh

        refresh(force=True)
        manager = db.session.get(User, manager_id)
        space = services.add_space(manager, estate_id=manager.estates[0].id, code="B2-007",
                                   tenure="owned")
        services.assign(manager, space, unit_number="1-1-102", plate="", starts_on=date(2026, 2, 1),
                        ends_on=None)
        heard = site.extensions["propdesk_plugins"].infos["monthlyfees"].module.HEARD
        assert heard == [("B2-007", "1-1-102")]


def _publish(user, estate, category, title="停电通知 Power cut in garage B1"):
    from plugins.notices import services as notices

    notice = notices.save_draft(user, None, estate_id=estate.id, title=title, body="09:00–12:00",
                                category=category, buildings="", posted_from=date(2026, 5, 1),
                                posted_until=None)
    db.session.flush()
    notices.publish(user, notice)
    db.session.commit()
    return notice


def test_an_outage_notice_alerts_the_car_park_attendant_but_a_community_event_does_not(manager, estates):
    from propdesk_parking.models import AttendantAlert

    outage = _publish(manager, estates[0], "outage")
    _publish(manager, estates[0], "event", title="Mid-autumn party")
    alerts = db.session.scalars(select(AttendantAlert)).all()
    assert [(a.notice_id, a.notice_number, a.category) for a in alerts] == [
        (outage.id, outage.number, "outage")]


def test_an_estate_chooses_which_notices_alert_the_attendant(manager, estates):
    from propdesk_parking.models import AttendantAlert

    from core.settings import get_settings, save_settings

    assert get_settings("parking", estates[0].id) == {"alert_categories": ["outage", "maintenance"]}
    save_settings("parking", {"alert_categories": ["safety"]}, estate_id=estates[0].id)
    _publish(manager, estates[0], "outage")
    _publish(manager, estates[0], "safety", title="Fire drill in the garage")
    assert [a.title for a in db.session.scalars(select(AttendantAlert))] == ["Fire drill in the garage"]


def test_parking_works_on_a_site_without_the_notices_plugin(make_app, manager):
    site, manager_id = make_app(plugins=["parking"]), manager.id
    with site.app_context():
        from propdesk_parking import services

        from core.models import User
        from core.site import refresh

        refresh(force=True)
        assert site.extensions["propdesk_plugins"].enabled == {"parking"}
        manager = db.session.get(User, manager_id)
        space = services.add_space(manager, estate_id=manager.estates[0].id, code="B1-001",
                                   tenure="rental")
        assert space.code == "B1-001"


def test_the_daily_job_closes_alerts_left_open_for_two_weeks(manager, estates):
    from propdesk_parking.models import AttendantAlert

    from core.jobs import run_due
    from core.models import utcnow

    _publish(manager, estates[0], "outage")
    fresh = _publish(manager, estates[0], "maintenance", title="Ramp resurfacing")
    stale = db.session.scalars(select(AttendantAlert).where(AttendantAlert.notice_id != fresh.id)).one()
    stale.created_at = utcnow() - timedelta(days=15)
    db.session.commit()
    ran = dict(run_due())
    assert ran["parking.close_stale_alerts"] == "1 stale alerts closed"
    db.session.expire_all()
    assert [a.title for a in db.session.scalars(select(AttendantAlert).where(
        AttendantAlert.acknowledged_at.is_(None)))] == ["Ramp resurfacing"]

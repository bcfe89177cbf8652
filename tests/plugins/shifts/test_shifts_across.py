"""Review fixes (issue 14): one person never on two overlapping shifts across a holiday schedule and
the month's schedule of the same days; a post per cell and posts below their staff needed (shown on
the grid; publishing such a schedule needs the supervisor's confirmation)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.audit import acting_as
from core.extensions import db
from core.testing import refused
from plugins.shifts import services
from plugins.shifts.models import Roster, RosterEntry
from tests.plugins.shifts.conftest import login

APRIL = date(2026, 4, 1)
QINGMING = date(2026, 4, 4)


def _count(*where):
    return db.session.scalar(select(func.count()).select_from(RosterEntry).where(*where))


def test_a_holiday_cell_overlapping_the_published_month_is_refused_and_nothing_saved(staff, april):
    with acting_as(staff.sup):
        holiday = services.create_roster(staff.sup, estate_id=staff.e1.id, kind="holiday", first_day=QINGMING,
                                         last_day=date(2026, 4, 6), title="清明节值班")
        db.session.commit()
        # the clerk works A (07–15) every day of April's published schedule; N of the evening before
        # runs into it, the lunch cover lies inside it
        err = refused("in the published Schedule for 2026-04", services.set_cells, staff.sup, holiday, {
            (staff.clerk2.id, QINGMING): staff.B.id, (staff.clerk.id, QINGMING): staff.L.id})
        assert err.field == f"c-{staff.clerk.id}-2026-04-04"
        refused("overlapping shifts", services.set_cells, staff.sup, holiday, {
            (staff.clerk.id, date(2026, 4, 4)): staff.N.id})  # 22:00 → 08:00 into the 5th's A
        assert _count(RosterEntry.roster_id == holiday.id) == 0
        # what does not overlap is fine: the clerk's evening after the morning shift
        assert services.set_cells(staff.sup, holiday, {(staff.clerk.id, QINGMING): staff.B.id}) == 1
        db.session.commit()


def test_the_month_cannot_put_someone_on_a_published_holiday_shift(staff):
    with acting_as(staff.sup):
        holiday = services.create_roster(staff.sup, estate_id=staff.e1.id, kind="holiday", first_day=QINGMING,
                                         last_day=date(2026, 4, 6))
        services.set_cells(staff.sup, holiday, {(staff.clerk.id, QINGMING): staff.A.id})
        services.publish(staff.sup, holiday)
        db.session.commit()
        month = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        db.session.commit()
        err = refused("in the published Holiday schedule", services.set_cells, staff.sup, month,
                      {(staff.clerk.id, QINGMING): staff.A.id})
        assert "overlapping shifts" in err.message and err.field == f"c-{staff.clerk.id}-2026-04-04"
        assert _count(RosterEntry.roster_id == month.id) == 0


def test_publishing_checks_again_against_a_schedule_published_meanwhile(staff):
    with acting_as(staff.sup):
        month = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        services.set_cells(staff.sup, month, {(staff.clerk.id, QINGMING): staff.A.id})
        holiday = services.create_roster(staff.sup, estate_id=staff.e1.id, kind="holiday", first_day=QINGMING,
                                         last_day=date(2026, 4, 6))
        services.set_cells(staff.sup, holiday, {(staff.clerk.id, QINGMING): staff.A.id})  # the month is a draft
        services.publish(staff.sup, holiday)
        db.session.commit()
        refused("overlapping shifts", services.publish, staff.sup, month)
    assert db.session.get(Roster, month.id).state == "draft"


def test_a_change_into_a_holiday_shift_is_refused(staff, april):
    with acting_as(staff.sup):
        holiday = services.create_roster(staff.sup, estate_id=staff.e1.id, kind="holiday", first_day=QINGMING,
                                         last_day=date(2026, 4, 6))
        services.set_cells(staff.sup, holiday, {(staff.clerk.id, QINGMING): staff.B.id})
        services.publish(staff.sup, holiday)
        db.session.commit()
    with acting_as(staff.clerk):
        # asking to work B on the 4th in April's schedule: the holiday B is already the clerk's
        refused("in the published", services.request_change, staff.clerk, april, kind="change", day=QINGMING,
                reason="换班", new_pattern_id=staff.B.id)


def test_a_post_below_its_staff_needed_is_listed_and_publishing_needs_confirmation(staff):
    with acting_as(staff.sup):
        r = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        services.set_cells(staff.sup, r, {(staff.clerk.id, APRIL): staff.A.id, (staff.clerk2.id, APRIL): staff.B.id},
                           {(staff.clerk.id, APRIL): staff.post.id, (staff.clerk2.id, APRIL): None})
        db.session.commit()
        assert services._entry_on(r, staff.clerk.id, APRIL).post_id == staff.post.id
        gaps = services.understaffed(r)
        assert [(g["day"], g["post"].id, g["pattern"].id, g["count"], g["needed"]) for g in gaps] == [
            (APRIL, staff.post.id, staff.A.id, 1, 2)]
        err = refused("Posts below their staff needed: 前台", services.publish, staff.sup, r)
        assert err.field == "understaffed_ok"
        assert db.session.get(Roster, r.id).state == "draft"
        services.publish(staff.sup, r, understaffed_ok=True)
        db.session.commit()
    assert db.session.get(Roster, r.id).state == "published"


def test_a_post_that_has_its_people_publishes_without_question(staff):
    with acting_as(staff.sup):
        r = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        services.set_cells(staff.sup, r, {(staff.clerk.id, APRIL): staff.A.id, (staff.clerk2.id, APRIL): staff.A.id},
                           {(staff.clerk.id, APRIL): staff.post.id, (staff.clerk2.id, APRIL): staff.post.id})
        assert services.understaffed(r) == []
        services.publish(staff.sup, r)
        db.session.commit()
    assert db.session.get(Roster, r.id).state == "published"


def test_the_grid_chooses_a_post_per_cell_and_warns_when_short(client, staff):
    login(client, staff.sup)
    client.post("/shifts/rosters/new", data={"estate_id": staff.e1.id, "kind": "month", "first_day": "2026-04-01"})
    roster = db.session.scalar(select(Roster))
    page = client.get(f"/shifts/rosters/{roster.id}").get_data(as_text=True)
    assert f'name="p-{staff.clerk.id}-2026-04-01"' in page and "understaffed" not in page
    resp = client.post(f"/shifts/rosters/{roster.id}", data={
        f"c-{staff.clerk.id}-2026-04-01": staff.A.id, f"p-{staff.clerk.id}-2026-04-01": staff.post.id,
        f"c-{staff.clerk2.id}-2026-04-01": staff.B.id, f"p-{staff.clerk2.id}-2026-04-01": ""}, follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "2 cells changed" in page
    assert services._entry_on(roster, staff.clerk.id, APRIL).post_id == staff.post.id
    assert services._entry_on(roster, staff.clerk2.id, APRIL).post_id is None
    assert "understaffed" in page and "post-short" in page and "1 of 2" in page
    resp = client.post(f"/shifts/rosters/{roster.id}/publish", data={"publish-note": ""})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Confirm that it is published short-staffed" in page
    assert 'name="publish-understaffed_ok"' in page
    assert db.session.get(Roster, roster.id).state == "draft"
    resp = client.post(f"/shifts/rosters/{roster.id}/publish", data={"publish-understaffed_ok": "y"})
    assert resp.status_code == 302
    assert db.session.get(Roster, roster.id).state == "published"


def test_a_holiday_overlap_on_the_grid_is_shown_and_nothing_saved(client, staff, april):
    login(client, staff.sup)
    client.post("/shifts/rosters/new", data={"estate_id": staff.e1.id, "kind": "holiday", "first_day": "2026-04-04",
                                             "last_day": "2026-04-06", "title": "清明节值班"})
    holiday = db.session.scalar(select(Roster).where(Roster.kind == "holiday"))
    resp = client.post(f"/shifts/rosters/{holiday.id}", data={f"c-{staff.clerk.id}-2026-04-04": staff.A.id})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "overlapping shifts" in page and "grid-error" in page
    assert _count(RosterEntry.roster_id == holiday.id) == 0


def test_the_printed_and_exported_schedule_show_each_cells_post(client, staff):
    import io

    from openpyxl import load_workbook

    with acting_as(staff.sup):
        r = services.create_roster(staff.sup, estate_id=staff.e1.id, first_day=APRIL)
        services.set_cells(staff.sup, r, {(staff.clerk.id, APRIL): staff.A.id, (staff.clerk2.id, APRIL): staff.A.id},
                           {(staff.clerk.id, APRIL): staff.post.id, (staff.clerk2.id, APRIL): None})
        db.session.commit()
    login(client, staff.sup)
    page = client.get(f"/shifts/rosters/{r.id}/print").get_data(as_text=True)
    assert 'A<sup class="cell-post">1</sup>' in page and page.count('class="cell-post"') == 1
    assert "needs 2" in page
    rows = list(load_workbook(io.BytesIO(client.get(f"/shifts/rosters/{r.id}?export=xlsx").data)).active
                .iter_rows(values_only=True))
    by_name = {row[0]: row for row in rows if row}
    assert by_name["孙丽"][1] == "A 前台" and by_name["周静"][1] == "A"

"""The unit page (issue 15): its narrow left column holds the unit's facts and who lives there
now (the core's residents panel is a side panel); those who left are folded with their count;
plugins' panels fill the wide column."""

from __future__ import annotations

from datetime import date

from core.models import Occupancy, Resident
from tests.test_estates import unit_of


def test_the_left_column_shows_the_facts_and_the_residents_past_ones_folded(client, login_as, db, estates):
    unit = unit_of(db, estates[0], "3-2-1201")
    for name, role, start, end in (("Tenant Now", "tenant", date(2020, 1, 1), None),
                                   ("Old Tenant", "tenant", date(2015, 1, 1), date(2016, 12, 31)),
                                   ("Older Tenant", "tenant", date(2010, 1, 1), date(2012, 6, 30))):
        r = Resident(estate_id=estates[0].id, name=name, phone="13911112222")
        db.session.add(r)
        db.session.flush()
        db.session.add(Occupancy(estate_id=estates[0].id, unit_id=unit.id, resident_id=r.id, role=role,
                                 start_date=start, end_date=end))
    db.session.commit()
    login_as("clerk", estates=[estates[0]])
    page = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    left, main = page.split('<div class="col-lg-8">', 1)
    facts = left[left.index("unit-facts"):]
    assert "Building 3" in facts and estates[0].name in facts and "98.50" in facts
    assert 'data-slot="core-occupancy"' in left and 'data-slot="core-occupancy"' not in main
    assert 'data-slot="notices-unit"' in main  # plugins' panels stay in the wide column
    now, past = left.split('class="mt-2 occupancy-past"', 1)
    assert "Owner of E01 3-2-1201" in now and "Tenant Now" in now and "139****2222" in now
    assert "Old Tenant" not in now and "Older Tenant" not in now
    assert "2 earlier residents</summary>" in past and "Old Tenant" in past and "Older Tenant" in past


def test_a_unit_without_residents_says_so(client, login_as, db, estates):
    unit = unit_of(db, estates[0], "1-1-101")
    db.session.query(Occupancy).filter_by(unit_id=unit.id).delete()
    db.session.commit()
    login_as("clerk", estates=[estates[0]])
    page = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    left = page.split('<div class="col-lg-8">', 1)[0]
    assert "No resident recorded." in left and "occupancy-past" not in left

"""A visit page says what the repair or complaint was about: number (a link to the case when its
plugin is on and the reader may see it), the description or content, the unit."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select
from visits_helpers import designate, unit_of

from core.audit import acting_as
from plugins.visits import services
from plugins.visits.models import ReturnVisit

LONG = "卫生间天花板渗水，" * 40  # 360 characters


def test_summary_is_one_line_and_cut_at_200_characters():
    assert services.summary_of(SimpleNamespace(description="  厨房\n水龙头   漏水 ")) == "厨房 水龙头 漏水"
    assert services.summary_of(SimpleNamespace(content="投诉噪音")) == "投诉噪音"
    cut = services.summary_of(SimpleNamespace(description=LONG))
    assert len(cut) == 200 and cut.endswith("…") and cut.startswith("卫生间天花板渗水")
    assert services.summary_of(SimpleNamespace()) == ""


def test_the_visit_of_a_completed_repair_says_what_it_was_about_and_links_to_it(client, login_as, estates, db,
                                                                               make_user):
    from plugins.repairs import services as repairs
    from tests.plugins.repairs.conftest import new_repair

    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    sup = make_user("supervisor", [e1], username="sup1")
    tech = make_user("technician", [e1], username="tech1")
    with acting_as(clerk):
        r = new_repair(db, clerk, e1, "3-2-1201", description="厨房水龙头漏水，水流到楼下")
    with acting_as(sup):
        repairs.dispatch(sup, r, tech.id)
        db.session.commit()
    with acting_as(tech):
        repairs.accept(tech, r)
        repairs.complete(tech, r, work_done="换阀芯", minutes_spent=20)
        db.session.commit()
    visit = db.session.scalar(select(ReturnVisit).where(ReturnVisit.source_id == r.id))
    assert visit.source_summary == "厨房水龙头漏水，水流到楼下"
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'<a class="visit-case-link" href="/repairs/{r.id}">{r.number}</a> · 3-2-1201' in html
    assert "厨房水龙头漏水，水流到楼下" in html

    # The resident's opinion on the printed work order offers the visit form's scale, in both languages.
    import re

    from core.models import User
    from plugins.repairs.models import WorkOrder

    order = db.session.scalar(select(WorkOrder).where(WorkOrder.repair_id == r.id))
    for locale, expected in (("en", ["Satisfied", "Not satisfied"]), ("zh_CN", ["满意", "不满意"])):
        db.session.get(User, clerk.id).locale = locale
        db.session.commit()
        form = client.get(f"/visits/{visit.id}").get_data(as_text=True)
        choices = re.findall(r'<input class="form-check-input" id="satisfied-\d+" name="satisfied" required '
                             r'type="radio" value="(?:yes|no)"> <label class="form-check-label" for="satisfied-\d+">([^<]+)</label>',
                             form)
        printed = client.get(f"/repairs/orders/{order.id}/print").get_data(as_text=True)
        assert choices == expected and re.findall(r'<span class="satisfaction-choice">□ ([^<]+)</span>',
                                                  printed) == expected


@pytest.mark.plugins("visits")
def test_with_repairs_and_complaints_off_the_visit_still_says_what_the_case_was(client, login_as, estates, db):
    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    unit = unit_of(e1, "3-2-1201")
    complaint = SimpleNamespace(id=7, number="TS-E01-2026-000007", estate_id=e1.id, unit_id=unit.id,
                                contact_name="王芳", contact_phone="13800138000", category="noise",
                                content=LONG)
    visit = services.plan_for_source("complaint", complaint, None)
    db.session.commit()
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert '<span class="visit-case-number">TS-E01-2026-000007</span> · 3-2-1201' in html
    assert "visit-case-link" not in html
    assert services.summary_of(complaint) in html


def test_the_list_shows_planned_visits_first_overdue_at_the_top_then_the_closed_ones(client, login_as, estates,
                                                                                     db, clock):
    from datetime import UTC, datetime

    from visits_helpers import plan

    clock.move_to(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    e1 = estates[0]
    login_as("supervisor", estates=[e1])
    done_long_ago = plan(e1, due_in_hours=-24 * 30, state="done", method="phone", satisfied=True)
    missed = plan(e1, due_in_hours=-24 * 10, state="missed", closed_reason="nobody home")
    later = plan(e1, due_in_hours=48)
    overdue = plan(e1, due_in_hours=-5)
    very_overdue = plan(e1, due_in_hours=-50)
    cancelled = plan(e1, due_in_hours=24, state="cancelled", closed_reason="reopened")
    html = client.get("/visits/").get_data(as_text=True)
    shown = sorted((v for v in (done_long_ago, missed, later, overdue, very_overdue, cancelled)),
                   key=lambda v: html.index(f">{v.number}<"))
    assert [v.number for v in shown] == [v.number for v in (very_overdue, overdue, later, cancelled, missed,
                                                            done_long_ago)]
    # the other sorts still work
    html = client.get("/visits/?sort=due").get_data(as_text=True)
    assert html.index(f">{done_long_ago.number}<") < html.index(f">{very_overdue.number}<")


def test_the_visit_page_asks_only_the_case_s_plugin_for_its_link(client, login_as, estates, db, monkeypatch):
    """Issue 15: the page ran the whole site's search (every plugin's queries) on each view to
    find one link; now only the source plugin's ``search`` hook is asked."""
    from core.plugins import plugins
    from tests.plugins.repairs.conftest import new_repair

    e1 = estates[0]
    clerk = login_as("clerk", estates=[e1])
    designate(e1, clerk)
    with acting_as(clerk):
        r = new_repair(db, clerk, e1, "3-2-1201", description="厨房水龙头漏水")
        visit = services.plan_for_source("repair", r, None)
        db.session.commit()
    asked = []
    for impl in plugins().implementations("search"):
        def spy(*a, _f=impl.function, _code=impl.plugin_name, **kw):
            asked.append(_code)
            return _f(*a, **kw)
        monkeypatch.setattr(impl, "function", spy)
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f'<a class="visit-case-link" href="/repairs/{r.id}">{r.number}</a>' in html
    assert asked == ["repairs"]

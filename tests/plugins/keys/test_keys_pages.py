"""The keys pages: what staff see, what was saved, who may do what, estates kept apart."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.forms import new_once_key
from core.models import utcnow
from plugins.keys.models import Key, KeyApproval, KeyKeeper, KeyLoan
from tests.plugins.keys.conftest import building_of, loan_data, local, login


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_supervisor_adds_a_key_and_a_duplicate_tag_is_refused_beside_the_field(client, db, staff):
    login(client, staff.sup)
    assert client.get("/keys/new").status_code == 200
    data = {"estate_id": staff.e1.id, "tag": "H-101-1", "kind": "security_door", "unit_number": "1-1-101",
            "building_id": "0", "floor": "", "location": "", "position": "B-03", "copies": "2",
            "emergency_spare": "", "note": "开发商移交"}
    resp = client.post("/keys/new", data=data)
    assert resp.status_code == 302
    key = db.session.scalar(select(Key))
    assert (key.tag, key.kind, key.unit.number, key.position, key.copies, key.note) == (
        "H-101-1", "security_door", "1-1-101", "B-03", 2, "开发商移交")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "H-101-1" in page and "1-1-101" in page and "B-03" in page
    resp = client.post("/keys/new", data=dict(data, unit_number="1-1-102"))
    assert resp.status_code == 422
    assert 'data-field="tag"' in resp.get_data(as_text=True) and "Tag H-101-1 is already used" in resp.get_data(
        as_text=True)
    # Another estate's unit number is not found in this estate.
    resp = client.post("/keys/new", data=dict(data, tag="H-201", unit_number="2-1-201"))
    assert resp.status_code == 422 and "There is no unit 2-1-201" in resp.get_data(as_text=True)
    assert count(db, Key) == 1


def test_editing_a_key(client, db, staff, make_key):
    key = make_key("E-001")
    login(client, staff.sup)
    assert "水泵房" in client.get(f"/keys/{key.id}/edit").get_data(as_text=True)
    resp = client.post(f"/keys/{key.id}/edit", data={"tag": "E-001A", "kind": "equipment_room",
                                                      "location": "消防泵房", "position": "A-02", "building_id": "0"})
    assert resp.status_code == 302
    key = db.session.get(Key, key.id)
    assert (key.tag, key.location, key.position, key.copies) == ("E-001A", "消防泵房", "A-02", 1)


def test_the_keeper_lends_and_takes_back_through_the_pages(client, db, staff, make_key):
    key = make_key("E-001")
    login(client, staff.keeper)
    page = client.get(f"/keys/lend?key_id={key.id}").get_data(as_text=True)
    assert 'value="E-001"' in page and 'name="once_key"' in page
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001"))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/keys/{key.id}")
    loan = db.session.scalar(select(KeyLoan))
    assert (loan.borrower_name, loan.work_order_number, loan.lent_by_id) == ("李师傅", "",
                                                                             staff.keeper.id)
    detail = client.get(f"/keys/{key.id}").get_data(as_text=True)
    assert "李师傅" in detail and "key-out" in detail
    out_now = client.get("/keys/loans").get_data(as_text=True)
    assert "李师傅" in out_now and "E-001" in out_now
    # Lending it again is refused beside the tag, nothing saved.
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001", borrower_name="王工"))
    assert resp.status_code == 422 and "Key E-001 is already out" in resp.get_data(as_text=True)
    resp = client.post("/keys/return", data={"estate_id": staff.e1.id, "tag": "E-001", "condition": "good"})
    assert resp.status_code == 302
    db.session.expire_all()
    loan = db.session.get(KeyLoan, loan.id)
    assert loan.returned_to_id == staff.keeper.id and loan.condition == "good"
    assert "李师傅" not in client.get("/keys/loans").get_data(as_text=True)
    everything = client.get("/keys/loans?scope=all").get_data(as_text=True)
    assert "李师傅" in everything and "Returned" in everything
    # The key is back: a second return is refused.
    resp = client.post("/keys/return", data={"estate_id": staff.e1.id, "tag": "E-001", "condition": "good"})
    assert resp.status_code == 422 and "Key E-001 is not out" in resp.get_data(as_text=True)
    assert count(db, KeyLoan) == 1


def test_lend_page_refusals(client, db, staff, make_key):
    make_key("E-001")
    make_key("F-001", estate=staff.e2)
    login(client, staff.keeper)
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-404"))
    assert resp.status_code == 422 and "No key has the tag E-404" in resp.get_data(as_text=True)
    resp = client.post("/keys/lend", data=loan_data(staff.e2, "F-001"))
    assert resp.status_code == 422 and "Choose one of your estates" in resp.get_data(as_text=True)
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001", reason=""))
    assert resp.status_code == 422 and "say what the key is borrowed for" in resp.get_data(as_text=True)
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001",
                                                    expected_return=local(utcnow() - timedelta(hours=1))))
    assert resp.status_code == 422 and "must be after the time the key is lent" in resp.get_data(as_text=True)
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001", borrower_phone=""))
    assert resp.status_code == 422 and "phone or ID number" in resp.get_data(as_text=True)
    assert count(db, KeyLoan) == 0


def test_the_same_lend_form_sent_twice_lends_once(client, db, staff, make_key):
    key = make_key("E-001")
    login(client, staff.keeper)
    data = loan_data(staff.e1, "E-001")
    assert client.post("/keys/lend", data=data).status_code == 302
    again = client.post("/keys/lend", data=data)
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/keys/{key.id}")
    assert count(db, KeyLoan) == 1


def test_a_clerk_who_is_not_a_keeper_cannot_lend(client, db, staff, make_key):
    make_key("E-001")
    login(client, staff.clerk)
    assert client.get("/keys/lend").status_code == 200
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001"))
    assert resp.status_code == 422 and "Only a designated key keeper" in resp.get_data(as_text=True)
    assert count(db, KeyLoan) == 0


def test_register_filters_and_export(client, db, staff, make_key, lend_key, clock):
    make_key("H-101-1", kind="mailbox")
    out = make_key("E-001")
    late = make_key("P-1-1", kind="public_door")
    lend_key(out, expected_return=utcnow() + timedelta(days=1))
    lend_key(late, borrower_name="赵工", expected_return=utcnow() + timedelta(hours=1))
    clock.shift(timedelta(hours=2))
    login(client, staff.clerk)

    def tags(query=""):
        page = client.get(f"/keys/?{query}").get_data(as_text=True)
        return {t for t in ("H-101-1", "E-001", "P-1-1") if f">{t}<" in page}

    assert tags() == {"H-101-1", "E-001", "P-1-1"}
    assert tags("kind=mailbox") == {"H-101-1"}
    assert tags("out=1") == {"E-001", "P-1-1"}
    assert tags("out=0") == {"H-101-1"}
    assert tags("overdue=1") == {"P-1-1"}
    assert tags(f"building={building_of(db, staff.e1).id}") == {"H-101-1", "P-1-1"}
    assert tags("q=1-1-101") == {"H-101-1"}
    assert tags("state=lost") == set()
    assert "1 loan overdue" in client.get("/keys/").get_data(as_text=True)
    overdue = client.get("/keys/loans?scope=overdue").get_data(as_text=True)
    assert "赵工" in overdue and "李师傅" not in overdue
    resp = client.get("/keys/?export=xlsx&out=1")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Tag number" and sorted(r[0] for r in rows[1:]) == ["E-001", "P-1-1"]
    loans = list(load_workbook(io.BytesIO(client.get("/keys/loans?scope=all&export=xlsx").data)).active
                 .iter_rows(values_only=True))
    assert len(loans[0]) == 16  # every column, also those a narrow window hides
    borrower = loans[0].index("Borrower")
    assert sorted(r[borrower] for r in loans[1:]) == ["李师傅", "赵工"]


def test_the_menu_badge_counts_overdue_loans(client, db, staff, make_key, lend_key, clock):
    lend_key(make_key("E-001"), expected_return=utcnow() + timedelta(hours=1))
    lend_key(make_key("E-002", location="配电房"), expected_return=utcnow() + timedelta(hours=1))
    lend_key(make_key("F-001", estate=staff.e2), user=staff.keeper_e2, expected_return=utcnow() + timedelta(hours=1))
    clock.shift(timedelta(hours=2))
    login(client, staff.clerk)
    page = client.get("/keys/loans").get_data(as_text=True)
    assert "2 loans overdue" in page
    import re

    menu = re.search(r'href="/keys/"[^>]*>.*?</a>', page, re.S).group(0)
    assert ">2<" in menu.replace(" ", "")


@pytest.mark.parametrize("role, view, lend, manage, approve", [
    ("manager", 200, 403, 200, 200),
    ("supervisor", 200, 200, 200, 200),
    ("clerk", 200, 200, 403, 403),
    ("frontdesk", 200, 200, 403, 403),
    ("archivist", 200, 403, 403, 403),
    ("cashier", 403, 403, 403, 403),
    ("technician", 403, 403, 403, 403),
    ("cleaning", 403, 403, 403, 403),
])
def test_permissions_per_role(client, db, staff, make_key, login_as, role, view, lend, manage, approve):
    key = make_key("E-001")
    login(client, staff.keeper)  # a session to replace
    client.post("/logout")
    login_as(role, estates=[staff.e1])
    assert client.get("/keys/").status_code == view
    assert client.get(f"/keys/{key.id}").status_code == view
    assert client.get("/keys/loans").status_code == view
    assert client.get("/keys/lend").status_code == lend
    assert client.get("/keys/new").status_code == manage
    resp = client.post("/keys/keepers", data={"estate_id": staff.e1.id, "user_id": staff.clerk.id})
    assert resp.status_code == (302 if approve == 200 else 403)
    assert count(db, KeyKeeper) == (4 if approve == 200 else 3)


def test_another_estates_keys_and_loans_are_not_found(client, db, staff, make_key, lend_key):
    mine = make_key("E-001")
    theirs = make_key("F-001", estate=staff.e2)
    loan = lend_key(theirs, user=staff.keeper_e2, borrower_name="外区借用人")
    with db.session.no_autoflush:
        approval = KeyApproval(estate_id=staff.e2.id, key_id=theirs.id, reason="x", requested_by_id=staff.keeper_e2.id)
        db.session.add(approval)
        db.session.commit()
    keeper_row = db.session.scalar(select(KeyKeeper).where(KeyKeeper.estate_id == staff.e2.id))
    login(client, staff.sup)
    assert client.get(f"/keys/{mine.id}").status_code == 200
    for url in (f"/keys/{theirs.id}", f"/keys/{theirs.id}/edit", f"/keys/lend?key_id={theirs.id}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/keys/{theirs.id}/event", f"/keys/{theirs.id}/spare-request",
                f"/keys/approvals/{approval.id}/approve", f"/keys/keepers/{keeper_row.id}/withdraw"):
        assert client.post(url, data={"event-kind": "lost", "event-note": "x"}).status_code == 404, url
    assert "F-001" not in client.get("/keys/").get_data(as_text=True)
    assert "外区借用人" not in client.get("/keys/loans?scope=all").get_data(as_text=True)
    assert "F-001" not in client.get("/keys/approvals").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Key, theirs.id).state == "in_service"
    assert db.session.get(KeyApproval, approval.id).state == "pending"
    assert db.session.get(KeyLoan, loan.id).returned_at is None


def test_spare_approval_through_the_pages(client, db, staff, make_key):
    key = make_key("S-001", emergency_spare=True)
    login(client, staff.keeper)
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "S-001"))
    assert resp.status_code == 422 and "a supervisor&#39;s approval must be recorded" in resp.get_data(as_text=True)
    assert client.post(f"/keys/{key.id}/spare-request", data={"spare-reason": "水管爆裂"}).status_code == 302
    req = db.session.scalar(select(KeyApproval))
    login(client, staff.sup)
    assert "水管爆裂" in client.get("/keys/approvals").get_data(as_text=True)
    assert client.post(f"/keys/approvals/{req.id}/approve", data={"decision-note": "同意"}).status_code == 302
    login(client, staff.keeper)
    assert "spare-usable" in client.get(f"/keys/{key.id}").get_data(as_text=True)
    assert client.post("/keys/lend", data=loan_data(staff.e1, "S-001", reason_kind="emergency")).status_code == 302
    assert db.session.scalar(select(KeyLoan)).approval_id == req.id


def test_own_request_cannot_be_approved_on_the_page(client, db, staff, make_key):
    from core.audit import acting_as
    from plugins.keys import services

    key = make_key("S-001", emergency_spare=True)
    with acting_as(staff.sup):
        services.designate_keeper(staff.sup, estate_id=staff.e1.id, user_id=staff.sup.id)
        req = services.request_spare(staff.sup, key, "夜间抢修")
        db.session.commit()
    login(client, staff.sup)
    resp = client.post(f"/keys/approvals/{req.id}/approve", data={}, follow_redirects=False)
    assert resp.status_code == 422 and "cannot decide on your own request" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(KeyApproval, req.id).state == "pending"


def test_events_on_the_key_page(client, db, staff, make_key):
    key = make_key("E-001", copies=2)
    login(client, staff.sup)
    resp = client.post(f"/keys/{key.id}/event", data={"event-kind": "recut", "event-copies": "3",
                                                       "event-note": "重配一把"})
    assert resp.status_code == 302
    page = client.get(f"/keys/{key.id}").get_data(as_text=True)
    assert "重配一把" in page and "2 → 3" in page
    resp = client.post(f"/keys/{key.id}/event", data={"event-kind": "found", "event-note": "x"})
    assert resp.status_code == 422 and "Only a lost key can be found" in resp.get_data(as_text=True)


def test_keepers_page(client, db, staff):
    login(client, staff.clerk)
    page = client.get("/keys/keepers").get_data(as_text=True)
    assert "周静" in page and "吴敏" in page and "赵敏" not in page and "Designate a key keeper" not in page
    login(client, staff.sup)
    resp = client.post("/keys/keepers", data={"estate_id": staff.e1.id, "user_id": staff.tech.id})
    assert resp.status_code == 422 and "may not lend keys" in resp.get_data(as_text=True)
    assert client.post("/keys/keepers", data={"estate_id": staff.e1.id, "user_id": staff.clerk.id}).status_code == 302
    assert db.session.scalar(select(KeyKeeper).where(KeyKeeper.user_id == staff.clerk.id)).active


def _work_order(db, estate, sup, tech) -> tuple[str, int]:
    """A repair dispatched to ``tech`` through the repairs services: (order number, repair id)."""
    from core.audit import acting_as
    from plugins.repairs import services as repairs

    with acting_as(sup):
        repair = repairs.record(sup, estate_id=estate.id, unit_id=None, address="地下一层水泵房",
                                contact_name="陈主管", contact_phone="13800000001", category="water",
                                description="水泵异响", channel="patrol", area="common")
        order = repairs.dispatch(sup, repair, tech.id, "需借水泵房钥匙")
        db.session.commit()
    return order.number, repair.id


def test_with_repairs_enabled_a_repair_loan_names_a_real_work_order_of_the_estate(client, db, staff, make_key,
                                                                                   make_user):
    from core.plugins import is_enabled

    assert is_enabled("repairs")
    number, repair_id = _work_order(db, staff.e1, staff.sup, staff.tech)
    other, _other_id = _work_order(db, staff.e2, staff.sup_e2, make_user("technician", [staff.e2], username="tech3"))
    key = make_key("E-001")
    login(client, staff.keeper)
    refusals = [
        ("", "Enter the number of the repair work order the key is lent for."),
        ("WX-E01-2026-999999", "There is no repair work order WX-E01-2026-999999 in this estate."),
        (other, f"There is no repair work order {other} in this estate."),  # another estate's order
    ]
    for typed, message in refusals:
        resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001", reason_kind="repair",
                                                        work_order_number=typed))
        page = resp.get_data(as_text=True)
        assert resp.status_code == 422 and message in page and 'data-field="work_order_number"' in page, typed
    assert count(db, KeyLoan) == 0
    # Another reason with an unknown number is refused too; without a number it is fine.
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001", work_order_number="WX-BAD"))
    assert resp.status_code == 422 and count(db, KeyLoan) == 0
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001", reason_kind="repair",
                                                    work_order_number=number))
    assert resp.status_code == 302
    assert db.session.scalar(select(KeyLoan.work_order_number)) == number
    link = f'href="/repairs/{repair_id}"'
    detail = client.get(f"/keys/{key.id}").get_data(as_text=True)
    assert f'<a class="work-order-link" {link}>{number}</a>' in detail
    assert f"<a {link}>{number}</a>" in client.get("/keys/loans").get_data(as_text=True)


def test_with_repairs_disabled_the_work_order_number_is_plain_text(client, db, staff, make_key):
    from core.site import disable, enable, refresh

    key = make_key("E-001")
    login(client, staff.keeper)
    disable("repairs")
    db.session.commit()
    refresh(force=True)
    assert client.post("/keys/lend", data=loan_data(staff.e1, "E-001", reason_kind="repair",
                                                    work_order_number="WX-E01-2026-000042")).status_code == 302
    assert db.session.scalar(select(KeyLoan.work_order_number)) == "WX-E01-2026-000042"
    detail = client.get(f"/keys/{key.id}").get_data(as_text=True)
    loans = client.get("/keys/loans").get_data(as_text=True)
    assert "WX-E01-2026-000042" in detail and "WX-E01-2026-000042" in loans
    assert "/repairs/" not in detail and ">WX-E01-2026-000042</a>" not in loans
    enable("repairs")
    db.session.commit()


def test_a_disabled_keys_plugin_hides_its_pages_and_keeps_its_data(client, db, staff, make_key):
    from core.site import disable, enable, refresh

    key = make_key("E-001")
    login(client, staff.sup)
    disable("keys")
    db.session.commit()
    refresh(force=True)
    assert client.get("/keys/").status_code == 404
    assert 'href="/keys/"' not in client.get("/").get_data(as_text=True)
    enable("keys")
    db.session.commit()
    refresh(force=True)
    assert "E-001" in client.get(f"/keys/{key.id}").get_data(as_text=True)


def test_once_key_is_needed(client, db, staff, make_key):
    make_key("E-001")
    login(client, staff.keeper)
    data = loan_data(staff.e1, "E-001", once_key="bad")
    assert client.post("/keys/lend", data=data).status_code == 422
    assert client.post("/keys/lend", data=dict(data, once_key=new_once_key())).status_code == 302


def test_pages_and_refusals_in_chinese(client, db, staff, make_key, make_user):
    from core.audit import acting_as
    from plugins.keys import services

    make_key("E-001")
    keeper = make_user("clerk", [staff.e1], locale="zh_CN", full_name="钱敏")
    with acting_as(staff.sup):
        services.designate_keeper(staff.sup, estate_id=staff.e1.id, user_id=keeper.id)
        db.session.commit()
    login(client, keeper)
    page = client.get("/keys/").get_data(as_text=True)
    assert "钥匙登记册" in page and "设备房" in page and "钥匙牌号" in page
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-404"))
    assert resp.status_code == 422 and "本项目没有牌号为 E-404 的钥匙。" in resp.get_data(as_text=True)
    assert client.post("/keys/lend", data=loan_data(staff.e1, "E-001")).status_code == 302
    resp = client.post("/keys/lend", data=loan_data(staff.e1, "E-001"))
    assert "钥匙 E-001 已借出：须归还后才能再次借出。" in resp.get_data(as_text=True)


def test_the_months_loan_register_prints_the_loans_lent_in_that_month(client, db, staff, make_key, lend_key,
                                                                       clock):
    from datetime import datetime

    from tests.plugins.keys.conftest import SHANGHAI

    key = make_key("E-001")
    other = make_key("E-002", location="配电房")
    clock.move_to(datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI))  # the last half hour of September
    lend_key(key, borrower_name="九月借用人", expected_return=utcnow() + timedelta(hours=1))
    clock.move_to(datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI))  # still September in UTC
    lend_key(other, borrower_name="十月借用人", expected_return=utcnow() + timedelta(hours=1))
    lend_key(make_key("F-001", estate=staff.e2), user=staff.keeper_e2, borrower_name="外区借用人")
    login(client, staff.clerk)
    september = client.get("/keys/loans/print?month=2026-09").get_data(as_text=True)
    october = client.get("/keys/loans/print?month=2026-10").get_data(as_text=True)
    assert "九月借用人" in september and "十月借用人" not in september
    assert "十月借用人" in october and "九月借用人" not in october and "外区借用人" not in october
    assert "Key loan register" in october and "2026-10" in october
    # Paper leaves the office: the borrower's phone is masked for staff who may not see it in full.
    assert "139****1111" in october and "13900001111" not in october
    client.post("/logout")
    login(client, staff.sup)
    assert "13900001111" in client.get("/keys/loans/print?month=2026-10").get_data(as_text=True)


def test_the_tag_sheet_prints_the_filtered_keys_of_own_estates(client, db, staff, make_key):
    make_key("E-001")
    make_key("H-101-FD", kind="security_door")
    make_key("F-001", estate=staff.e2)
    login(client, staff.clerk)
    sheet = client.get("/keys/tags/print").get_data(as_text=True)
    assert sheet.count('class="key-tag-label"') == 2 and ">E-001<" in sheet and ">H-101-FD<" in sheet
    assert "F-001" not in sheet and "B-03" in sheet and "1-1-101" in sheet
    only_rooms = client.get("/keys/tags/print?kind=equipment_room").get_data(as_text=True)
    assert only_rooms.count('class="key-tag-label"') == 1 and "水泵房" in only_rooms


def _modules(svg: str) -> list[list[int]]:
    """The dark modules an inline segno SVG draws, read back from its path (``M x y`` then
    ``h n`` runs and ``m dx dy`` moves, all in modules; y is the middle of the row)."""
    import re

    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    grid = [[0] * size for _ in range(size)]
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", re.search(r' d="([^"]+)"', svg).group(1)):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for i in range(int(a)):
                grid[int(y)][int(x) + i] = 1
            x += int(a)
    return grid


def test_each_tag_label_carries_the_qr_code_of_its_tag_number(client, db, staff, make_key):
    import re

    import segno

    make_key("E-001")
    make_key("H-101-FD", kind="security_door")
    login(client, staff.clerk)
    sheet = client.get("/keys/tags/print").get_data(as_text=True)
    labels = re.findall(r'<div class="key-tag-label" data-tag="([^"]+)">\s*(<svg.*?</svg>)', sheet, re.S)
    assert [tag for tag, _svg in labels] == ["E-001", "H-101-FD"]
    drawn = {}
    for tag, svg in labels:
        qr = segno.make_qr(tag, error="m", boost_error=False)
        assert not qr.is_micro  # a phone reads a regular QR code, not a Micro QR
        expected = [[int(bool(v)) for v in row] for row in qr.matrix]
        border = 2
        grid = _modules(svg)
        assert len(grid) == len(expected) + 2 * border
        assert [row[border:-border] for row in grid[border:-border]] == expected, tag
        drawn[tag] = grid
    assert drawn["E-001"] != drawn["H-101-FD"]

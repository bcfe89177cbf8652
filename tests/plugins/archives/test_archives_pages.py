"""The archives pages: the borrow flow through the pages, what each role may do, another
estate's files, the access log, scans, lists and their export, prints, search, panel, widget."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.audit import acting_as
from core.models import utcnow
from plugins.archives import services
from plugins.archives.models import ArchiveAccess, ArchiveEntry, ArchiveFile, ArchiveLoan
from tests.plugins.archives.conftest import SHANGHAI, local, login, unit_of


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def request_data(**kw):
    data = {"req-kind": "borrow", "req-borrower_name": "", "req-purpose": "核对合同条款",
            "req-due_at": local(utcnow() + timedelta(days=1))}
    data.update(kw)
    return data


def test_the_borrow_flow_through_the_pages(client, db, staff, make_file):
    row = make_file("HT-001", title="物业服务合同")
    login(client, staff.clerk)
    page = client.get(f"/archives/{row.id}").get_data(as_text=True)
    assert "物业服务合同" in page and "Ask to view or borrow the file" in page
    resp = client.post(f"/archives/{row.id}/request", data=request_data(), follow_redirects=True)
    assert "Request sent: the office manager decides." in resp.get_data(as_text=True)
    loan = db.session.scalar(select(ArchiveLoan))
    assert (loan.state, loan.requested_by_id, loan.borrower_name) == ("pending", staff.clerk.id, "孙丽")
    login(client, staff.manager)
    page = client.get("/archives/loans").get_data(as_text=True)
    assert "核对合同条款" in page and f"/archives/loans/{loan.id}/approve" in page
    resp = client.post(f"/archives/loans/{loan.id}/refuse", data={"decision-note": ""})
    assert resp.status_code == 422 and "Give the reason for the refusal." in resp.get_data(as_text=True)
    assert client.post(f"/archives/loans/{loan.id}/approve", data={"decision-note": "同意", "next": "loans"}
                       ).headers["Location"].endswith("/archives/loans")
    login(client, staff.archivist)
    assert client.post(f"/archives/loans/{loan.id}/hand-out").status_code == 302
    db.session.expire_all()
    assert db.session.get(ArchiveLoan, loan.id).state == "out"
    page = client.get(f"/archives/{row.id}").get_data(as_text=True)
    assert "file-out" in page and "孙丽" in page
    assert "HT-001" in client.get("/archives/?out=1").get_data(as_text=True)
    assert "HT-001" not in client.get("/archives/?out=0").get_data(as_text=True)
    slip = client.get(f"/archives/loans/{loan.id}/slip").get_data(as_text=True)
    assert "File borrowing slip" in slip and "王经理" in slip and "核对合同条款" in slip
    resp = client.post(f"/archives/loans/{loan.id}/return", data={"ret-note": "完好"}, follow_redirects=True)
    assert "File HT-001 returned." in resp.get_data(as_text=True)
    db.session.expire_all()
    done = db.session.get(ArchiveLoan, loan.id)
    assert (done.state, done.returned_to_id, done.return_note) == ("returned", staff.archivist.id, "完好")
    # Taking it back again: refused, clearly, nothing changed.
    resp = client.post(f"/archives/loans/{loan.id}/return", data={"ret-note": "x"})
    assert resp.status_code == 422 and "File HT-001 is not out: there is nothing to take back." in \
        resp.get_data(as_text=True)
    assert db.session.get(ArchiveLoan, loan.id).return_note == "完好"


def test_approving_ones_own_request_is_refused_on_the_page(client, db, staff, make_file):
    row = make_file("S-1", level="confidential")
    login(client, staff.manager)
    client.post(f"/archives/{row.id}/request", data=request_data())
    loan = db.session.scalar(select(ArchiveLoan))
    assert loan.state == "pending"
    assert f"/archives/loans/{loan.id}/approve" not in client.get(f"/archives/{row.id}").get_data(as_text=True)
    resp = client.post(f"/archives/loans/{loan.id}/approve", data={"decision-note": ""})
    assert resp.status_code == 422
    assert "You cannot decide on your own request: another manager must." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ArchiveLoan, loan.id).state == "pending"


def test_a_file_already_out_is_refused_on_the_page(client, db, staff, make_file, approved):
    row = make_file("A-1")
    first, second = approved(row), approved(row)
    login(client, staff.archivist)
    assert client.post(f"/archives/loans/{first.id}/hand-out").status_code == 302
    resp = client.post(f"/archives/loans/{second.id}/hand-out")
    assert resp.status_code == 422
    assert "File A-1 is already out: it must be returned before it is handed out again." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ArchiveLoan, second.id).state == "approved"


def test_bad_dates_are_refused_beside_the_field(client, db, staff, make_file):
    row = make_file("A-1")
    login(client, staff.clerk)
    resp = client.post(f"/archives/{row.id}/request", data=request_data(**{"req-due_at": local(utcnow() - timedelta(days=1))}))
    assert resp.status_code == 422
    assert "The return date must be after the time the file is taken out." in resp.get_data(as_text=True)
    resp = client.post(f"/archives/{row.id}/request", data=request_data(**{"req-due_at": "2026-02-30T10:00"}))
    assert resp.status_code == 422 and count(db, ArchiveLoan) == 0


def test_opening_a_file_and_a_file_number_already_used(client, db, staff, make_file):
    make_file("A-1")
    login(client, staff.archivist)
    data = {"estate_id": staff.e1.id, "number": "A-1", "kind": "owner", "title": "业主档案", "unit_number": "1-1-101",
            "building_id": 0, "cabinet": "A", "shelf": "1", "box": "1", "level": "internal", "note": ""}
    resp = client.post("/archives/new", data=data)
    assert resp.status_code == 422 and "File number A-1 is already used in this estate." in resp.get_data(as_text=True)
    resp = client.post("/archives/new", data=dict(data, unit_number="9-9-9"))
    assert resp.status_code == 422 and "There is no unit 9-9-9 in this estate." in resp.get_data(as_text=True)
    resp = client.post("/archives/new", data=dict(data, estate_id=staff.e2.id, number="B-1"))
    assert resp.status_code == 422 and count(db, ArchiveFile) == 1
    resp = client.post("/archives/new", data=dict(data, number=""))
    assert resp.status_code == 302
    row = db.session.scalar(select(ArchiveFile).where(ArchiveFile.kind == "owner"))
    assert row.number.startswith("DA-") and row.unit_id == unit_of(db, staff.e1).id


def test_documents_and_scans_are_logged_for_a_confidential_file(client, db, staff, make_file):
    row = make_file("S-1", level="confidential")
    login(client, staff.archivist)
    pdf = (io.BytesIO(b"%PDF-1.4 test scan"), "合同扫描件.pdf")
    resp = client.post(f"/archives/{row.id}/documents", data={"doc-title": "物业服务合同", "doc-note": "",
                                                              "doc-scans": pdf}, content_type="multipart/form-data")
    assert resp.status_code == 302
    entry = db.session.scalar(select(ArchiveEntry))
    from core.attachments import Attachment

    att = db.session.scalar(select(Attachment).where(Attachment.owner_table == "archives_entry"))
    assert att.owner_id == entry.id
    # The core's attachment route does not serve archive scans: only the file's page does, logged.
    assert client.get(f"/attachments/{att.id}").status_code == 404
    resp = client.get(f"/archives/{row.id}/scans/{att.id}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    login(client, staff.clerk)
    page = client.get(f"/archives/{row.id}").get_data(as_text=True)
    assert "(approval needed)" in page
    assert client.get(f"/archives/{row.id}/scans/{att.id}").status_code == 403
    rows = db.session.scalars(select(ArchiveAccess).order_by(ArchiveAccess.id)).all()
    assert [(a.user_id, a.what) for a in rows] == [(staff.archivist.id, "scan"), (staff.clerk.id, "page")]
    assert rows[0].filename == "合同扫描件.pdf" and rows[0].attachment_id == att.id
    login(client, staff.manager)
    page = client.get(f"/archives/{row.id}").get_data(as_text=True)
    log = page.split("file-access", 1)[1]
    assert "周档案" in log and "孙丽" in log and "合同扫描件.pdf" in log


def test_a_normal_file_keeps_no_access_log(client, db, staff, make_file):
    row = make_file("N-1")
    login(client, staff.clerk)
    client.get(f"/archives/{row.id}")
    assert count(db, ArchiveAccess) == 0


def test_withdrawing_a_document_on_the_page(client, db, staff, make_file):
    row = make_file("A-1")
    with acting_as(staff.archivist):
        entry = services.add_document(staff.archivist, row, title="旧合同")
        db.session.commit()
    login(client, staff.archivist)
    resp = client.post(f"/archives/entries/{entry.id}/withdraw", data={"wd-note": ""})
    assert resp.status_code == 422 and "Say why the document is withdrawn." in resp.get_data(as_text=True)
    assert client.post(f"/archives/entries/{entry.id}/withdraw", data={"wd-note": "移交公司"}).status_code == 302
    assert count(db, ArchiveEntry, ArchiveEntry.action == "withdrawn") == 1


@pytest.mark.parametrize("role, view, request_, manage, approve", [
    ("manager", 200, True, 403, True),
    ("supervisor", 200, True, 200, False),
    ("clerk", 200, True, 403, False),
    ("frontdesk", 200, True, 403, False),
    ("archivist", 200, True, 200, False),
    ("cashier", 403, False, 403, False),
    ("technician", 403, False, 403, False),
    ("cleaning", 403, False, 403, False),
])
def test_permissions_per_role(client, db, staff, make_file, login_as, role, view, request_, manage, approve):
    row = make_file("A-1")
    with acting_as(staff.clerk):
        pending = services.request_file(staff.clerk, row, kind="view", purpose="x", due_at=utcnow() + timedelta(days=1))
        db.session.commit()
    login_as(role, estates=[staff.e1])
    for url in ("/archives/", f"/archives/{row.id}", "/archives/loans", "/archives/checks"):
        assert client.get(url).status_code == view, url
    assert client.get("/archives/new").status_code == manage
    resp = client.post(f"/archives/{row.id}/request", data=request_data())
    assert resp.status_code == (302 if request_ else 403)
    resp = client.post(f"/archives/loans/{pending.id}/approve", data={"decision-note": ""})
    assert resp.status_code == (302 if approve else 403)
    db.session.expire_all()
    assert db.session.get(ArchiveLoan, pending.id).state == ("approved" if approve else "pending")


def test_another_estates_files_are_not_found(client, db, staff, make_file):
    mine = make_file("A-1")
    theirs = make_file("B-1", estate=staff.e2, title="外区合同", level="confidential")
    with acting_as(staff.manager_e2):
        loan = services.request_file(staff.manager_e2, theirs, kind="view", purpose="外区用途",
                                     due_at=utcnow() + timedelta(days=1))
    with acting_as(staff.archivist_e2):
        entry = services.add_document(staff.archivist_e2, theirs, title="外区文件")
        check = services.plan_check(staff.archivist_e2, estate_id=staff.e2.id,
                                    planned_on=utcnow().date(), title="外区检查")
        db.session.commit()
    login(client, staff.sup)
    assert client.get(f"/archives/{mine.id}").status_code == 200
    for url in (f"/archives/{theirs.id}", f"/archives/{theirs.id}/edit", f"/archives/loans/{loan.id}/slip",
                f"/archives/checks/{check.id}", f"/archives/checks/{check.id}/print"):
        assert client.get(url).status_code == 404, url
    for url in (f"/archives/{theirs.id}/request", f"/archives/{theirs.id}/inspection",
                f"/archives/{theirs.id}/documents", f"/archives/entries/{entry.id}/withdraw",
                f"/archives/loans/{loan.id}/hand-out", f"/archives/loans/{loan.id}/return",
                f"/archives/checks/{check.id}/record"):
        assert client.post(url, data={"wd-note": "x"}).status_code == 404, url
    assert "外区合同" not in client.get("/archives/").get_data(as_text=True)
    assert "外区用途" not in client.get("/archives/loans").get_data(as_text=True)
    assert "外区检查" not in client.get("/archives/checks").get_data(as_text=True)
    assert "外区合同" not in client.get("/search?q=B-1").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ArchiveLoan, loan.id).state == "pending"
    assert count(db, ArchiveEntry, ArchiveEntry.action == "withdrawn") == 0


def test_lists_filter_and_export(client, db, staff, make_file, approved, clock):
    from openpyxl import load_workbook

    a, _b = make_file("A-1", title="合同甲"), make_file("A-2", kind="notice", title="通知乙", level="confidential")
    loan = approved(a, hours=1)
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, loan)
        db.session.commit()
    clock.shift(timedelta(hours=2))
    login(client, staff.archivist)
    assert "A-2" not in client.get("/archives/?kind=contract").get_data(as_text=True)
    assert "A-1" not in client.get("/archives/?level=confidential").get_data(as_text=True)
    page = client.get("/archives/?overdue=1").get_data(as_text=True)
    assert "A-1" in page and "A-2" not in page and "1 file overdue" in page
    assert "合同甲" in client.get("/archives/loans?state=overdue").get_data(as_text=True)
    menu = re.search(r'href="/archives/"[^>]*>.*?</a>', page, re.S).group(0)
    assert ">1<" in menu.replace(" ", "")
    sheet = load_workbook(io.BytesIO(client.get("/archives/?export=xlsx").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "File number" and sorted(r[0] for r in rows[1:]) == ["A-1", "A-2"]
    loans = load_workbook(io.BytesIO(client.get("/archives/loans?export=xlsx").data)).active
    assert [r[0] for r in list(loans.iter_rows(values_only=True))[1:]] == ["A-1"]
    hits = client.get("/search?q=A-2").get_data(as_text=True)
    assert "通知乙" in hits
    home = client.get("/").get_data(as_text=True)
    assert "archives-widget" in home and "1 file overdue" in home


def test_unit_panel_lists_the_units_files(client, db, staff, make_file):
    make_file("OWN-1", kind="owner", title="业主档案 1-1-101")
    unit = unit_of(db, staff.e1)
    login(client, staff.clerk)
    page = client.get(f"/estates/units/{unit.id}").get_data(as_text=True)
    assert "archives-panel" in page and "OWN-1" in page


def test_the_inspection_plan_through_the_pages(client, db, staff, make_file, clock):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    clock.move_to(datetime(2026, 8, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    a, b = make_file("A-1"), make_file("A-2")
    login(client, staff.archivist)
    home = client.get("/").get_data(as_text=True)
    assert "archive checks behind plan" in home
    resp = client.post("/archives/checks", data={"estate_id": staff.e1.id, "planned_on": "2026-08-01",
                                                 "title": "下半年档案检查"})
    assert resp.status_code == 302
    from plugins.archives.models import ArchiveCheck, ArchiveFinding

    check = db.session.scalar(select(ArchiveCheck))
    resp = client.post(f"/archives/checks/{check.id}/record", data={
        "done_on": "2026-08-03", "summary": "", f"result-{a.id}": "complete", f"result-{b.id}": "missing",
        f"note-{b.id}": ""})
    assert resp.status_code == 422 and "Say what is wrong with file A-2." in resp.get_data(as_text=True)
    assert count(db, ArchiveFinding) == 0
    resp = client.post(f"/archives/checks/{check.id}/record", data={
        "done_on": "2026-08-03", "summary": "良好", f"result-{a.id}": "complete", f"result-{b.id}": "missing",
        f"note-{b.id}": "找不到"})
    assert resp.status_code == 302
    finding = db.session.scalar(select(ArchiveFinding).where(ArchiveFinding.result == "missing"))
    assert "找不到" in client.get("/archives/checks").get_data(as_text=True)
    assert client.post(f"/archives/findings/{finding.id}/follow-up", data={"fu-note": "已补档"}).status_code == 302
    report = client.get(f"/archives/checks/{check.id}/print").get_data(as_text=True)
    assert "Archive inspection report" in report and "已补档" in report and "找不到" in report


def test_the_pages_are_gone_when_the_plugin_is_disabled(client, db, staff, make_file):
    from core.attachments import Attachment
    from core.site import disable, enable, refresh

    row = make_file("A-1", level="confidential")
    login(client, staff.archivist)
    pdf = (io.BytesIO(b"%PDF-1.4 test scan"), "scan.pdf")
    assert client.post(f"/archives/{row.id}/documents", data={"doc-title": "Contract", "doc-note": "",
                                                              "doc-scans": pdf},
                       content_type="multipart/form-data").status_code == 302
    att = db.session.scalar(select(Attachment).where(Attachment.owner_table == "archives_entry"))
    disable("archives")
    db.session.commit()
    refresh(force=True)
    try:
        login(client, staff.archivist)
        assert client.get(f"/archives/{row.id}").status_code == 404
        assert 'href="/archives/"' not in client.get("/").get_data(as_text=True)
        # Its record rule is off with it, so the core does not serve its scans either.
        login(client, staff.clerk)
        assert client.get(f"/attachments/{att.id}").status_code == 404
    finally:
        enable("archives")
        db.session.commit()
        refresh(force=True)


def test_the_file_page_in_chinese(client, db, staff, make_file, login_as):
    row = make_file("A-1", level="confidential")
    login_as("clerk", estates=[staff.e1], locale="zh_CN")
    page = client.get(f"/archives/{row.id}").get_data(as_text=True)
    assert "机密" in page and "访问记录" in page and "申请查阅或借阅" in page
    resp = client.post(f"/archives/{row.id}/request", data=request_data(**{"req-purpose": ""}))
    assert resp.status_code == 422 and "请说明调阅档案的用途。" in resp.get_data(as_text=True)


def test_a_manager_keeps_a_file_out_longer_from_its_page(client, db, staff, make_file, approved):
    row = make_file("HT-9")
    loan = approved(row, hours=2)
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, loan)
        db.session.commit()
    login(client, staff.archivist)  # the archivist hands out and takes back, but does not extend
    assert f"/archives/loans/{loan.id}/extend" not in client.get(f"/archives/{row.id}").get_data(as_text=True)
    assert client.post(f"/archives/loans/{loan.id}/extend", data={"ext-reason": "x"}).status_code == 403
    login(client, staff.manager)
    page = client.get(f"/archives/{row.id}").get_data(as_text=True)
    assert f'action="/archives/loans/{loan.id}/extend"' in page and "Keep longer" in page
    old_due = db.session.get(ArchiveLoan, loan.id).due_at
    # No reason, and a date that does not exist: refused, said, nothing saved.
    resp = client.post(f"/archives/loans/{loan.id}/extend",
                       data={"ext-due_at": local(utcnow() + timedelta(days=2)), "ext-reason": ""})
    assert resp.status_code == 422 and "Say why the file is kept longer." in resp.get_data(as_text=True)
    resp = client.post(f"/archives/loans/{loan.id}/extend", data={"ext-due_at": "2026-02-30T10:00", "ext-reason": "x"})
    assert resp.status_code == 422
    db.session.expire_all()
    assert (db.session.get(ArchiveLoan, loan.id).due_at, db.session.get(ArchiveLoan, loan.id).extensions) == (old_due, 0)
    new_due = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    resp = client.post(f"/archives/loans/{loan.id}/extend",
                       data={"ext-due_at": local(new_due), "ext-reason": "审计仍需原件"}, follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert resp.request.path == f"/archives/{row.id}"
    assert "File HT-9 is to be returned by " + new_due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") in text
    assert "kept longer once" in text and "审计仍需原件" in text
    db.session.expire_all()
    kept = db.session.get(ArchiveLoan, loan.id)
    assert (kept.due_at, kept.extensions, kept.extension_note) == (new_due, 1, "审计仍需原件")
    assert "kept longer once" in client.get(f"/archives/loans/{loan.id}/slip").get_data(as_text=True)
    listed = client.get("/archives/loans?state=out&export=csv").get_data(as_text=True)
    assert "Times kept longer" in listed and "HT-9" in listed
    login(client, staff.manager_e2)
    assert client.post(f"/archives/loans/{loan.id}/extend",
                       data={"ext-due_at": local(new_due + timedelta(days=1)), "ext-reason": "x"}).status_code == 404

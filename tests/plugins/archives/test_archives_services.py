"""The archives services: every rule and every refusal (nothing saved after a refusal)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.audit import acting_as
from core.models import utcnow
from core.testing import refused
from plugins.archives import services
from plugins.archives.models import (
    ArchiveAccess,
    ArchiveCheck,
    ArchiveEntry,
    ArchiveFile,
    ArchiveFinding,
    ArchiveLoan,
)
from tests.plugins.archives.conftest import unit_of


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- files -------------------------------------------------------------------------------
def test_a_file_without_a_number_gets_the_next_one_and_a_number_is_unique_per_estate(db, staff, make_file):
    with acting_as(staff.archivist):
        row = services.add_file(staff.archivist, estate_id=staff.e1.id, kind="owner", title="业主档案 1-1-101",
                                unit_number="1-1-101", cabinet="A", shelf="2", box="A-07", level="internal")
        db.session.commit()
    assert row.number.startswith(f"DA-{staff.e1.code}-") and row.number.endswith("-000001")
    assert row.unit_id == unit_of(db, staff.e1).id and row.location == "A / 2 / A-07"
    make_file("X-1")
    err = refused("File number X-1 is already used in this estate.", services.add_file, staff.archivist,
                  estate_id=staff.e1.id, kind="contract", title="重复", number="X-1")
    assert err.field == "number"
    make_file("X-1", estate=staff.e2)  # another estate may use the same number
    assert count(db, ArchiveFile, ArchiveFile.number == "X-1") == 2


def test_bad_files_are_refused_and_nothing_is_saved(db, staff):
    args = dict(estate_id=staff.e1.id, title="档案")
    assert refused("There is no unit 9-9-999 in this estate.", services.add_file, staff.archivist,
                   kind="owner", unit_number="9-9-999", **args).field == "unit_number"
    refused("An owner file belongs to a unit or a resident", services.add_file, staff.archivist, kind="owner", **args)
    refused("Choose the kind of file.", services.add_file, staff.archivist, kind="secret", **args)
    refused("Choose the confidentiality level.", services.add_file, staff.archivist, kind="other", level="top", **args)
    refused("Choose one of your estates.", services.add_file, staff.archivist, kind="other", title="x",
            estate_id=staff.e2.id)
    refused("Your role may not do this.", services.add_file, staff.clerk, kind="other", **args)
    assert count(db, ArchiveFile) == 0


def test_find_file_refuses_an_unknown_number(db, staff, make_file):
    make_file("A-1")
    assert services.find_file(staff.clerk, staff.e1.id, "A-1").number == "A-1"
    assert refused("No file has the number A-404 in this estate.", services.find_file, staff.clerk, staff.e1.id,
                   "A-404").field == "number"
    refused("No file has the number A-1 in this estate.", services.find_file, staff.archivist_e2, staff.e2.id, "A-1")


# -- the contents log ------------------------------------------------------------------------
def test_the_contents_are_a_log_added_and_withdrawn_never_edited(db, staff, make_file):
    row = make_file("A-1")
    with acting_as(staff.archivist):
        first = services.add_document(staff.archivist, row, title="物业服务合同")
        services.add_document(staff.archivist, row, title="补充协议")
        db.session.commit()
        services.withdraw_document(staff.archivist, first, note="合同到期，移交公司")
        db.session.commit()
    log = db.session.scalars(select(ArchiveEntry).where(ArchiveEntry.file_id == row.id).order_by(ArchiveEntry.id)).all()
    assert [(e.action, e.title) for e in log] == [("added", "物业服务合同"), ("added", "补充协议"),
                                                  ("withdrawn", "物业服务合同")]
    assert log[2].withdraws_id == first.id and log[2].note == "合同到期，移交公司"
    assert [e.title for e in services.contents(row.id)] == ["补充协议"]
    refused("The document 物业服务合同 has already been withdrawn.", services.withdraw_document, staff.archivist,
            first, note="再次")
    refused("Say why the document is withdrawn.", services.withdraw_document, staff.archivist, log[1], note=" ")
    refused("Only a document that was added can be withdrawn.", services.withdraw_document, staff.archivist,
            log[2], note="x")
    refused("Name the document.", services.add_document, staff.archivist, row, title="")
    refused("A document cannot be filed in the future.", services.add_document, staff.archivist, row, title="x",
            at=utcnow() + timedelta(days=1))
    refused("The withdrawal cannot be before the document was filed.", services.withdraw_document,
            staff.archivist, log[1], note="x", at=log[1].at - timedelta(days=1))
    refused("Your role may not do this.", services.add_document, staff.clerk, row, title="x")
    assert count(db, ArchiveEntry) == 3


# -- requests and loans ----------------------------------------------------------------------
def test_the_borrow_flow_request_approve_hand_out_return(db, staff, make_file):
    row = make_file("A-1")
    with acting_as(staff.clerk):
        loan = services.request_file(staff.clerk, row, kind="borrow", purpose="核对合同条款",
                                     due_at=utcnow() + timedelta(days=1))
        db.session.commit()
    assert loan.state == "pending" and loan.borrower_name == "孙丽"
    refused("This request has not been approved yet.", services.hand_out, staff.archivist, loan)
    refused("Your role may not do this.", services.decide, staff.archivist, loan, approve=True)
    refused("Give the reason for the refusal.", services.decide, staff.manager, loan, approve=False)
    with acting_as(staff.manager):
        services.decide(staff.manager, loan, approve=True, note="同意")
        db.session.commit()
    assert loan.state == "approved" and loan.decided_by_id == staff.manager.id
    refused("This request has already been decided.", services.decide, staff.manager2, loan, approve=False, note="x")
    refused("Your role may not do this.", services.hand_out, staff.clerk, loan)
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, loan)
        db.session.commit()
    assert loan.state == "out" and loan.handed_out_by_id == staff.archivist.id
    assert services.open_loan(row.id).id == loan.id
    refused("The return cannot be before the file was handed out.", services.take_back, staff.archivist, loan,
            at=loan.handed_out_at - timedelta(hours=1))
    with acting_as(staff.archivist2):
        services.take_back(staff.archivist2, loan, note="完好")
        db.session.commit()
    assert loan.state == "returned" and loan.returned_to_id == staff.archivist2.id and loan.return_note == "完好"
    assert services.open_loan(row.id) is None
    refused("File A-1 is not out: there is nothing to take back.", services.take_back, staff.archivist, loan)
    refused("File A-1 is not out: there is nothing to take back.", services.take_back_file, staff.archivist, row)


def test_a_file_is_out_to_one_borrower_at_a_time(db, staff, make_file, approved):
    row = make_file("A-1")
    first, second = approved(row), approved(row)
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, first)
        db.session.commit()
    err = refused("File A-1 is already out: it must be returned before it is handed out again.",
                  services.hand_out, staff.archivist, second)
    assert err.field == "number"
    assert db.session.get(ArchiveLoan, second.id).state == "approved"
    refused("File A-1 is already out", services.record_inspection, staff.archivist, row, inspector="公司品质部",
            purpose="抽查", due_at=utcnow() + timedelta(hours=2))
    with acting_as(staff.archivist):
        services.take_back(staff.archivist, first)
        services.hand_out(staff.archivist, second)
        db.session.commit()
    assert db.session.get(ArchiveLoan, second.id).state == "out"


def test_the_database_itself_refuses_a_second_open_loan(db, staff, make_file):
    """Not only the service: the partial unique index refuses two rows 'out' for one file."""
    row = make_file("A-1")
    now = utcnow()
    for n in range(2):
        db.session.add(ArchiveLoan(estate_id=row.estate_id, file_id=row.id, kind="borrow", state="out",
                                   borrower_name=f"b{n}", purpose="x", due_at=now + timedelta(days=1),
                                   requested_by_id=staff.clerk.id, requested_at=now, handed_out_at=now,
                                   handed_out_by_id=staff.archivist.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_approving_ones_own_request_is_refused_and_a_confidential_file_needs_a_second_person(db, staff, make_file):
    normal = make_file("N-1", level="normal")
    secret = make_file("S-1", level="confidential")
    with acting_as(staff.manager):
        own = services.request_file(staff.manager, normal, kind="view", purpose="查阅",
                                    due_at=utcnow() + timedelta(hours=2))
        db.session.commit()
    # The office manager's own permission approves a file that is not confidential.
    assert own.state == "approved" and own.decided_by_id == staff.manager.id
    with acting_as(staff.manager):
        loan = services.request_file(staff.manager, secret, kind="view", purpose="查阅合同",
                                     due_at=utcnow() + timedelta(hours=2))
        db.session.commit()
    assert loan.state == "pending"
    refused("You cannot decide on your own request: another manager must.", services.decide, staff.manager, loan,
            approve=True)
    assert db.session.get(ArchiveLoan, loan.id).state == "pending"
    with acting_as(staff.manager2):
        services.decide(staff.manager2, loan, approve=True)
        db.session.commit()
    assert loan.state == "approved" and loan.decided_by_id == staff.manager2.id


def test_a_refusal_keeps_its_reason_and_cannot_be_handed_out(db, staff, make_file):
    row = make_file("A-1")
    with acting_as(staff.clerk):
        loan = services.request_file(staff.clerk, row, kind="borrow", purpose="复印",
                                     due_at=utcnow() + timedelta(days=1))
        db.session.commit()
    with acting_as(staff.manager):
        services.decide(staff.manager, loan, approve=False, note="请在档案室查阅")
        db.session.commit()
    assert loan.state == "refused" and loan.decision_note == "请在档案室查阅"
    refused("This request is no longer waiting to be handed out.", services.hand_out, staff.archivist, loan)


def test_bad_requests_are_refused(db, staff, make_file):
    row = make_file("A-1")
    now = utcnow()
    assert refused("The return date must be after the time the file is taken out.", services.request_file,
                   staff.clerk, row, kind="borrow", purpose="x", due_at=now - timedelta(hours=1)).field == "due_at"
    refused("Enter when the file is to be returned.", services.request_file, staff.clerk, row, kind="borrow",
            purpose="x", due_at=None)
    refused("Say what the file is needed for.", services.request_file, staff.clerk, row, kind="borrow", purpose=" ",
            due_at=now + timedelta(days=1))
    refused("Say whether the file is to be viewed or borrowed.", services.request_file, staff.clerk, row,
            kind="inspection", purpose="x", due_at=now + timedelta(days=1))
    refused("Your role may not do this.", services.request_file, staff.tech, row, kind="view", purpose="x",
            due_at=now + timedelta(days=1))
    refused("Choose one of your estates.", services.request_file, staff.archivist_e2, row, kind="view",
            purpose="x", due_at=now + timedelta(days=1))
    refused("A request cannot be recorded in the future.", services.request_file, staff.clerk, row, kind="view",
            purpose="x", due_at=now + timedelta(days=3), at=now + timedelta(days=1))
    assert count(db, ArchiveLoan) == 0


def test_a_superiors_inspection_is_recorded_as_such_without_approval(db, staff, make_file):
    row = make_file("A-1", level="confidential")
    with acting_as(staff.archivist):
        loan = services.record_inspection(staff.archivist, row, inspector="公司品质部 李检查", purpose="季度检查",
                                          due_at=utcnow() + timedelta(hours=3))
        db.session.commit()
    assert (loan.kind, loan.state, loan.decided_by_id) == ("inspection", "out", None)
    assert loan.borrower_name == "公司品质部 李检查"
    refused("Enter who inspects the file", services.record_inspection, staff.archivist, row, inspector="",
            purpose="x", due_at=utcnow() + timedelta(hours=3))
    refused("Your role may not do this.", services.record_inspection, staff.clerk, row, inspector="x",
            purpose="x", due_at=utcnow() + timedelta(hours=3))


def test_the_requester_withdraws_a_request_not_handed_out(db, staff, make_file, approved):
    row = make_file("A-1")
    loan = approved(row)
    refused("Only the person who asked can withdraw the request.", services.cancel, staff.manager, loan)
    with acting_as(staff.clerk):
        services.cancel(staff.clerk, loan)
        db.session.commit()
    assert loan.state == "cancelled"
    refused("This request can no longer be withdrawn.", services.cancel, staff.clerk, loan)


def test_overdue_loans_are_counted_and_notified_once(db, staff, make_file, approved, clock):
    from core.models import Notification
    from plugins.archives.jobs import notify_overdue

    row = make_file("A-1")
    loan = approved(row, hours=2)
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, loan)
        db.session.commit()
    assert services.overdue_count([staff.e1.id]) == 0
    clock.shift(timedelta(hours=3))
    assert services.overdue_count([staff.e1.id]) == 1 and db.session.get(ArchiveLoan, loan.id).is_overdue()
    assert notify_overdue() == "1 overdue files notified"
    db.session.commit()
    told = {n.user_id for n in db.session.scalars(select(Notification))}
    assert {staff.archivist.id, staff.archivist2.id, staff.manager.id, staff.sup.id} <= told
    assert staff.clerk.id not in told and staff.archivist_e2.id not in told
    assert notify_overdue() == "0 overdue files notified"


# -- the access log ----------------------------------------------------------------------------
def test_only_a_confidential_file_keeps_an_access_log(db, staff, make_file):
    normal, secret = make_file("N-1"), make_file("S-1", level="confidential")
    assert services.log_access(staff.clerk, normal, "page") is None
    assert services.log_access(staff.clerk, secret, "page") is not None
    db.session.commit()
    assert [(a.file_id, a.user_id, a.what) for a in db.session.scalars(select(ArchiveAccess))] == [
        (secret.id, staff.clerk.id, "page")]


def test_scans_of_a_confidential_file_only_for_the_archive_the_manager_and_the_borrower(db, staff, make_file,
                                                                                        approved):
    normal, secret = make_file("N-1"), make_file("S-1", level="confidential")
    assert services.may_see_scans(staff.clerk, normal)
    assert not services.may_see_scans(staff.clerk, secret)
    assert services.may_see_scans(staff.archivist, secret) and services.may_see_scans(staff.manager, secret)
    loan = approved(secret)
    assert not services.may_see_scans(staff.clerk, secret)  # approved, not yet handed out
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, loan)
        db.session.commit()
    assert services.may_see_scans(staff.clerk, secret)


# -- file_document (the service other plugins call) ----------------------------------------------
def test_file_document_opens_the_units_file_once_and_appends_to_its_log(db, staff, app):
    from core.plugins import plugins

    seen = []

    class Listener:
        @staticmethod
        def archives_document_filed(entry):
            seen.append((entry.file.number, entry.title, entry.source, entry.source_ref))

    from core import hookimpl

    Listener.archives_document_filed = hookimpl(Listener.archives_document_filed)
    pm = plugins().pm
    pm.register(Listener, name="test-archives-listener")
    try:
        unit = unit_of(db, staff.e1)
        with acting_as(staff.clerk):
            first = services.file_document(staff.clerk, estate_id=staff.e1.id, kind="decoration", title="装修申请表",
                                           unit_id=unit.id, source="decoration", source_ref="ZX-E01-2026-000001")
            second = services.file_document(staff.clerk, estate_id=staff.e1.id, kind="decoration",
                                            title="装修验收单", unit_id=unit.id, source="decoration",
                                            source_ref="ZX-E01-2026-000001")
            estate_level = services.file_document(staff.clerk, estate_id=staff.e1.id, kind="notice",
                                                  title="停水通知")
            db.session.commit()
    finally:
        pm.unregister(name="test-archives-listener")
    assert first.file_id == second.file_id != estate_level.file_id
    row = db.session.get(ArchiveFile, first.file_id)
    assert (row.kind, row.unit_id, row.level) == ("decoration", unit.id, "internal")
    assert db.session.get(ArchiveFile, estate_level.file_id).unit_id is None
    assert [e.title for e in services.contents(row.id)] == ["装修申请表", "装修验收单"]
    assert seen[0] == (row.number, "装修申请表", "decoration", "ZX-E01-2026-000001") and len(seen) == 3


def test_file_document_uses_the_archivists_file_of_that_unit(db, staff, make_file):
    mine = make_file("OWN-101", kind="owner")
    with acting_as(staff.clerk):
        entry = services.file_document(staff.clerk, estate_id=staff.e1.id, kind="owner", title="入伙交接单",
                                       unit_id=mine.unit_id)
        db.session.commit()
    assert entry.file_id == mine.id and count(db, ArchiveFile) == 1


def test_file_document_refusals(db, staff):
    other_unit = unit_of(db, staff.e2)
    assert refused("This unit is not in this estate.", services.file_document, staff.clerk, estate_id=staff.e1.id,
                   kind="owner", title="x", unit_id=other_unit.id).field == "unit_id"
    assert refused("Unknown kind of file: secret.", services.file_document, staff.clerk, estate_id=staff.e1.id,
                   kind="secret", title="x").field == "kind"
    refused("Choose one of your estates.", services.file_document, staff.clerk, estate_id=staff.e2.id,
            kind="owner", title="x")
    refused("Name the document.", services.file_document, staff.clerk, estate_id=staff.e1.id, kind="owner",
            title=" ", unit_id=unit_of(db, staff.e1).id)
    assert count(db, ArchiveFile) == 0 and count(db, ArchiveEntry) == 0


def test_file_document_copies_the_callers_scans_of_the_same_estate_only(db, staff, make_file):
    from core.attachments import Attachment

    row = make_file("X-1", estate=staff.e2)
    mine = Attachment(estate_id=staff.e1.id, owner_table="decoration_application", owner_id=1, filename="申请表.pdf",
                      content_type="application/pdf", size=10, stored_as="1/a.pdf")
    theirs = Attachment(estate_id=staff.e2.id, owner_table="archives_file", owner_id=row.id, filename="b.pdf",
                        content_type="application/pdf", size=10, stored_as="2/b.pdf")
    db.session.add_all([mine, theirs])
    db.session.commit()
    refused("Attachment", services.file_document, staff.clerk, estate_id=staff.e1.id, kind="notice", title="x",
            attachment_ids=[theirs.id])
    assert count(db, ArchiveEntry) == 0
    with acting_as(staff.clerk):
        entry = services.file_document(staff.clerk, estate_id=staff.e1.id, kind="notice", title="申请表",
                                       attachment_ids=[mine.id])
        db.session.commit()
    copies = db.session.scalars(select(Attachment).where(Attachment.owner_table == "archives_entry")).all()
    assert [(c.owner_id, c.filename, c.stored_as) for c in copies] == [(entry.id, "申请表.pdf", "1/a.pdf")]


# -- the inspection plan -------------------------------------------------------------------------
def test_a_check_records_a_finding_for_every_file_and_damage_is_followed_up(db, staff, make_file):
    a, b = make_file("A-1"), make_file("A-2")
    today = date(2026, 11, 18)
    with acting_as(staff.archivist):
        check = services.plan_check(staff.archivist, estate_id=staff.e1.id, planned_on=date(2026, 11, 10),
                                    title="下半年检查")
        db.session.commit()
    refused("Choose a result for file A-2.", services.record_check, staff.archivist, check, done_on=today,
            results={a.id: ("complete", "")}, today=today)
    refused("Say what is wrong with file A-2.", services.record_check, staff.archivist, check, done_on=today,
            results={a.id: ("complete", ""), b.id: ("missing", "")}, today=today)
    refused("A check cannot be recorded in the future.", services.record_check, staff.archivist, check,
            done_on=today + timedelta(days=1), results={a.id: ("complete", ""), b.id: ("present", "")},
            today=today)
    refused("The check belongs to the plan of 2026", services.record_check, staff.archivist, check,
            done_on=date(2025, 12, 1), results={a.id: ("complete", ""), b.id: ("present", "")}, today=today)
    assert count(db, ArchiveFinding) == 0
    with acting_as(staff.archivist):
        services.record_check(staff.archivist, check, done_on=today, today=today, summary="良好",
                              results={a.id: ("complete", ""), b.id: ("damaged", "封面受潮")})
        db.session.commit()
    check = db.session.get(ArchiveCheck, check.id)
    assert check.done_on == today and {f.file_id: f.result for f in check.findings} == {a.id: "complete",
                                                                                       b.id: "damaged"}
    refused("This check has already been recorded.", services.record_check, staff.archivist, check, done_on=today,
            results={a.id: ("complete", ""), b.id: ("complete", "")}, today=today)
    good = next(f for f in check.findings if f.file_id == a.id)
    bad = next(f for f in check.findings if f.file_id == b.id)
    refused("Only a damaged or missing file needs a follow-up.", services.follow_up, staff.archivist, good, note="x")
    refused("Say what was done.", services.follow_up, staff.archivist, bad, note="")
    with acting_as(staff.archivist):
        services.follow_up(staff.archivist, bad, note="已更换档案盒")
        db.session.commit()
    assert db.session.get(ArchiveFinding, bad.id).follow_up == "已更换档案盒"
    refused("This finding has already been followed up.", services.follow_up, staff.archivist, bad, note="again")


def test_plan_status_is_behind_when_the_years_checks_lag(db, staff, make_file):
    from core.settings import save_settings

    make_file("A-1")
    status = services.plan_status(staff.e1.id, date(2026, 3, 1))
    assert (status["required"], status["planned"], status["expected"], status["behind"]) == (2, 0, 0, True)
    with acting_as(staff.archivist):
        c1 = services.plan_check(staff.archivist, estate_id=staff.e1.id, planned_on=date(2026, 6, 1), title="上半年")
        services.plan_check(staff.archivist, estate_id=staff.e1.id, planned_on=date(2026, 12, 1), title="下半年")
        db.session.commit()
    assert not services.plan_status(staff.e1.id, date(2026, 3, 1))["behind"]
    # In August one check should be done: the June one was not.
    status = services.plan_status(staff.e1.id, date(2026, 8, 1))
    assert status["behind"] and status["expected"] == 1 and status["late"] == 1
    with acting_as(staff.archivist):
        services.record_check(staff.archivist, c1, done_on=date(2026, 6, 2), today=date(2026, 8, 1),
                              results={f.id: ("complete", "") for f in db.session.scalars(select(ArchiveFile))})
        db.session.commit()
    assert not services.plan_status(staff.e1.id, date(2026, 8, 1))["behind"]
    save_settings("archives", {"checks_per_year": 4}, estate_id=staff.e1.id)
    db.session.commit()
    from core.plugins import request_cache

    request_cache().pop("settings", None)
    status = services.plan_status(staff.e1.id, date(2026, 8, 1))
    assert status["required"] == 4 and status["behind"]


def test_dates_are_aware(db, staff, make_file, approved):
    """Back-dated hand-outs keep the order request → decision → hand-out → return."""
    row = make_file("A-1")
    now = utcnow()
    with acting_as(staff.clerk):
        loan = services.request_file(staff.clerk, row, kind="borrow", purpose="x", due_at=now + timedelta(days=1),
                                     at=now - timedelta(days=2))
        db.session.commit()
    refused("The decision cannot be before the request.", services.decide, staff.manager, loan, approve=True,
            at=now - timedelta(days=3))
    with acting_as(staff.manager):
        services.decide(staff.manager, loan, approve=True, at=now - timedelta(days=2))
        db.session.commit()
    refused("A file cannot be handed out before it was asked for.", services.hand_out, staff.archivist, loan,
            at=now - timedelta(days=3))
    refused("A hand-out cannot be recorded in the future.", services.hand_out, staff.archivist, loan,
            at=now + timedelta(hours=1))
    assert isinstance(loan.requested_at, datetime) and loan.requested_at.tzinfo is not None


# -- keeping a file longer (续借) -------------------------------------------------------------
def test_a_file_out_is_kept_longer_with_the_managers_agreement_and_a_reason(db, staff, make_file, approved, clock):
    from core.models import AuditLog, Notification
    from plugins.archives.jobs import notify_overdue

    row = make_file("A-1")
    loan = approved(row, hours=2)
    refused("File A-1 is not out: only a file that is out can be kept longer.", services.extend, staff.manager,
            loan, due_at=utcnow() + timedelta(days=3), reason="还要用")
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, loan)
        db.session.commit()
    clock.shift(timedelta(hours=3))  # overdue, and told so
    assert notify_overdue() == "1 overdue files notified"
    db.session.commit()
    old_due = db.session.get(ArchiveLoan, loan.id).due_at
    new_due = utcnow() + timedelta(days=3)
    refused("Your role may not do this.", services.extend, staff.archivist, loan, due_at=new_due, reason="还要用")
    refused("Your role may not do this.", services.extend, staff.clerk, loan, due_at=new_due, reason="还要用")
    refused("Say why the file is kept longer.", services.extend, staff.manager, loan, due_at=new_due, reason="  ")
    refused("Enter the new return date.", services.extend, staff.manager, loan, due_at=None, reason="还要用")
    refused("The new return date must be later than the current one and than now.", services.extend,
            staff.manager, loan, due_at=utcnow() - timedelta(minutes=5), reason="还要用")
    refused("A file can be kept at most 90 days longer at a time.", services.extend, staff.manager, loan,
            due_at=utcnow() + timedelta(days=91), reason="还要用")
    refused("Choose one of your estates.", services.extend, staff.manager_e2, loan, due_at=new_due, reason="还要用")
    db.session.expire_all()
    same = db.session.get(ArchiveLoan, loan.id)
    assert (same.due_at, same.extensions, same.extension_note) == (old_due, 0, "")  # nothing saved
    with acting_as(staff.manager):
        services.extend(staff.manager, same, due_at=new_due, reason="诉讼仍需原件")
        db.session.commit()
    db.session.expire_all()
    kept = db.session.get(ArchiveLoan, loan.id)
    assert (kept.state, kept.due_at, kept.extensions, kept.extension_note) == ("out", new_due, 1, "诉讼仍需原件")
    assert not kept.is_overdue() and services.overdue_count([staff.e1.id]) == 0
    audit = db.session.scalars(select(AuditLog).where(AuditLog.table_name == "archives_loan",
                                                      AuditLog.record_id == str(loan.id))).all()
    changed = [a.changes for a in audit if a.action == "update" and "extensions" in a.changes]
    assert len(changed) == 1 and changed[0]["extensions"] == [0, 1] and audit[-1].user_id == staff.manager.id
    # Past the new date, the reminder goes out again.
    before = db.session.scalar(select(func.count()).select_from(Notification))
    clock.shift(timedelta(days=4))
    assert notify_overdue() == "1 overdue files notified"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) > before
    with acting_as(staff.manager2):
        services.extend(staff.manager2, kept, due_at=utcnow() + timedelta(days=1), reason="再延一天")
        db.session.commit()
    assert db.session.get(ArchiveLoan, loan.id).extensions == 2


def test_two_extensions_at_once_one_is_recorded(db, staff, make_file, approved):
    row = make_file("A-1")
    loan = approved(row, hours=2)
    with acting_as(staff.archivist):
        services.hand_out(staff.archivist, loan)
        db.session.commit()
    stale = db.session.get(ArchiveLoan, loan.id)
    shown = stale.due_at
    with acting_as(staff.manager):
        services.extend(staff.manager, stale, due_at=shown + timedelta(days=1), reason="第一次")
        db.session.commit()
    # The second manager's page still showed the old date.
    db.session.expire_all()
    from sqlalchemy.orm.attributes import set_committed_value

    other = db.session.get(ArchiveLoan, loan.id)
    set_committed_value(other, "due_at", shown)  # as their page knew it
    refused("The loan changed meanwhile", services.extend, staff.manager2, other,
            due_at=shown + timedelta(days=2), reason="第二次")
    db.session.expire_all()
    final = db.session.get(ArchiveLoan, loan.id)
    assert (final.due_at, final.extensions, final.extension_note) == (shown + timedelta(days=1), 1, "第一次")

"""Demo archive room: an estate's files in their cabinets (owner files of some units, building
and facility files, a decoration file, contracts, notices), their contents, a year of requests
(most returned, one refused, a superior's inspection), a file out now, one overdue, a request
waiting for the office manager, and this year's inspection plan with one check done.

Everything goes through the services (back-dated where they accept it); an estate where no
archivist (or supervisor), office manager and clerk work gets only its files.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.i18n import to_local
from core.models import Building, Unit, utcnow
from core.security import user_estate_ids
from plugins.archives import services
from plugins.archives.models import ArchiveFile

#: (English, Chinese): see ``core.demo.demo_text``.
DOCS = {
    "owner": [("Copy of the purchase contract", "商品房买卖合同复印件"), ("Copy of the owner's ID card", "业主身份证复印件"),
              ("Move-in handover form", "入伙交接单"), ("Preliminary property service agreement", "前期物业服务协议")],
    "building": [("Completion acceptance record", "竣工验收备案表"), ("Fire acceptance opinion", "消防验收意见书"),
                 ("Lift registration certificate", "电梯使用登记证")],
    "decoration": [("Renovation application", "装修申请表"), ("Renovation management agreement", "装修管理服务协议"),
                   ("Renovation acceptance form", "装修验收单")],
    "contract": [("Property service contract", "物业服务合同"), ("Cleaning outsourcing contract", "保洁外包合同")],
    "notice": [("Water interruption notice (copy)", "停水通知存档"), ("Yearly fire drill notice", "年度消防演练通知")],
    "other": [("Minutes of the owners' general meeting", "业主大会会议纪要")],
}


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _files(estate, keeper) -> list[ArchiveFile]:
    files = []
    units = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id).order_by(Unit.sort_key).limit(4)).all()
    for n, unit in enumerate(units):
        files.append(services.add_file(keeper, estate_id=estate.id, kind="owner", title=demo_text(f"Owner file {unit.number}",
                                                                                    f"业主档案 {unit.number}"),
                                       unit_number=unit.number, cabinet="A", shelf=str(n // 2 + 1),
                                       box=f"A-{n + 1:02d}", level="internal"))
    building = db.session.scalar(select(Building).where(Building.estate_id == estate.id).order_by(Building.code))
    files.append(services.add_file(keeper, estate_id=estate.id, kind="building", title=demo_text(
                                       "Building completion and equipment file", "楼宇竣工及设施设备档案"),
                                   building_id=building.id if building else None, cabinet="B", shelf="1",
                                   box="B-01"))
    if units:
        files.append(services.add_file(keeper, estate_id=estate.id, kind="decoration",
                                       title=demo_text(f"Renovation file {units[0].number}", f"装修档案 {units[0].number}"), unit_number=units[0].number,
                                       cabinet="C", shelf="1", box="C-01", level="internal"))
    files.append(services.add_file(keeper, estate_id=estate.id, kind="contract", title=demo_text(
                                       "Property service and outsourcing contracts", "物业服务合同及外包合同"),
                                   cabinet="D", shelf="1", box="D-01", level="confidential",
                                   note=demo_text("Confidential: a loan needs a second approver besides the manager",
                                                  "机密：借阅须经理以外的第二人批准")))
    files.append(services.add_file(keeper, estate_id=estate.id, kind="notice", title=demo_text("Notices archive", "通知公告存档"),
                                   cabinet="E", shelf="1", box="E-01"))
    files.append(services.add_file(keeper, estate_id=estate.id, kind="other", title=demo_text(
                                       "Owners' meeting and committee papers", "业主大会及业委会资料"),
                                   cabinet="E", shelf="2", box="E-02"))
    now = utcnow()
    for f in files:
        for i, title in enumerate(DOCS[f.kind]):
            services.add_document(keeper, f, title=demo_text(*title), at=now - timedelta(days=300 - i * 20))
    db.session.flush()
    return files


def _loans(estate, files, keeper, manager, clerk, now):
    owner_files = [f for f in files if f.kind == "owner"]
    notice = next(f for f in files if f.kind == "notice")
    building = next(f for f in files if f.kind == "building")
    # Returned over the year.
    for n, f in enumerate(owner_files[:3] + [notice]):
        at = now - timedelta(days=200 - n * 40)
        loan = services.request_file(clerk, f, kind="borrow" if n % 2 else "view", purpose=demo_text("Check owner details", "核对业主资料"),
                                     due_at=at + timedelta(days=2), at=at)
        services.decide(manager, loan, approve=True, note=demo_text("Approved", "同意"), at=at + timedelta(hours=1))
        services.hand_out(keeper, loan, at=at + timedelta(hours=2))
        services.take_back(keeper, loan, at=at + timedelta(days=1), note=demo_text("Intact", "完好"))
    # One refused.
    contract = next(f for f in files if f.kind == "contract")
    loan = services.request_file(clerk, contract, kind="borrow", purpose=demo_text("Copy contract clauses", "复印合同条款"), due_at=now + timedelta(days=3),
                                 at=now - timedelta(days=30))
    services.decide(manager, loan, approve=False, note=demo_text(
        "Contracts are confidential: read them in the archive room", "合同为机密档案，请在档案室查阅"), at=now - timedelta(days=30))
    # A superior's inspection, returned.
    loan = services.record_inspection(keeper, building, inspector=demo_text(
        "Li, company quality department", "公司品质部 李检查"), purpose=demo_text("Quarterly quality check", "季度品质检查"),
                                      due_at=now - timedelta(days=60), at=now - timedelta(days=61))
    services.take_back(keeper, loan, at=now - timedelta(days=60, hours=2))
    # Out now, within its time.
    loan = services.request_file(clerk, owner_files[0], kind="borrow", purpose=demo_text("Title transfer", "办理产权变更"),
                                 due_at=now + timedelta(days=2), at=now - timedelta(hours=3))
    services.decide(manager, loan, approve=True, note=demo_text("Approved; return on time", "同意，按期归还"), at=now - timedelta(hours=2))
    services.hand_out(keeper, loan, at=now - timedelta(hours=1))
    # Overdue.
    loan = services.request_file(clerk, notice, kind="borrow", purpose=demo_text("Compile the year's notices", "整理年度通知汇编"),
                                 due_at=now - timedelta(days=3), at=now - timedelta(days=10))
    services.decide(manager, loan, approve=True, at=now - timedelta(days=10))
    services.hand_out(keeper, loan, at=now - timedelta(days=9))
    # Waiting for the office manager.
    if len(owner_files) > 1:
        services.request_file(clerk, owner_files[1], kind="view", purpose=demo_text("Check parking lease papers", "核对车位租赁资料"),
                              due_at=now + timedelta(days=1))


def _plan(estate, files, keeper, now):
    today = to_local(now, estate.timezone).date()
    first = date(today.year, 6, 15) if today >= date(today.year, 7, 1) else max(date(today.year, 1, 2),
                                                                              today - timedelta(days=1))
    second = date(today.year, 12, 15)
    done = services.plan_check(keeper, estate_id=estate.id, planned_on=first, title=demo_text(
        f"Archive check, first half of {today.year}", f"{today.year}年上半年档案检查"))
    services.plan_check(keeper, estate_id=estate.id, planned_on=second, title=demo_text(
        f"Archive check, second half of {today.year}", f"{today.year}年下半年档案检查"))
    results = {f.id: ("complete", "") for f in files}
    results[files[-1].id] = ("damaged", demo_text("Damp cover", "封面受潮"))
    if len(files) > 2:
        results[files[-2].id] = ("missing", demo_text("One archived notice missing: to be traced",
                                                        "缺少一份通知存档，待查"))
    services.record_check(keeper, done, done_on=min(first, today), results=results, summary=demo_text("Good overall", "总体良好"),
                          today=today)
    finding = next(f for f in done.findings if f.result == "damaged")
    services.follow_up(keeper, finding, note=demo_text("New box; dried out", "已更换档案盒并晾干"))


def load(estate, users) -> None:
    if db.session.scalar(select(ArchiveFile.id).where(ArchiveFile.estate_id == estate.id).limit(1)):
        return
    keeper = users.get("archivist") if _member(users.get("archivist"), estate) else users.get("supervisor")
    if not _member(keeper, estate):
        return
    now = utcnow()
    with acting_as(keeper):
        files = _files(estate, keeper)
        _plan(estate, files, keeper, now)
    manager, clerk = users.get("manager"), users.get("clerk")
    if not (_member(manager, estate) and _member(clerk, estate)):
        return
    with acting_as(clerk):
        _loans(estate, files, keeper, manager, clerk, now)
        contract = next(f for f in files if f.kind == "contract")
        services.log_access(manager, contract, "page")
    db.session.flush()

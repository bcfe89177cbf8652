"""Archive pages: the file register, one file (contents log, requests and loans, access log),
the loan register, the inspection plan and checks, printed slips and reports.

Every read is scoped to the user's estates (another estate's file answers 404); every change
goes through :mod:`plugins.archives.services` via :func:`core.actions.record_action`. Opening a
confidential file's page or one of its scans is written to its access log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from core.actions import record_action
from core.attachments import Attachment
from core.estates import building_choices as _building_choices
from core.extensions import db
from core.i18n import fmt_datetime, to_local, today_local
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, Unit, utcnow
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.archives import services
from plugins.archives.forms import (
    ACTION_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    LOAN_KIND_LABELS,
    LOAN_STATE_LABELS,
    RESULT_LABELS,
    CheckForm,
    DecisionForm,
    DocumentForm,
    ExtendForm,
    FileFilter,
    FileForm,
    FollowUpForm,
    InspectionForm,
    LoanFilter,
    RecordCheckForm,
    RequestForm,
    ReturnForm,
    WithdrawForm,
)
from plugins.archives.models import (
    KINDS,
    LEVELS,
    LOAN_STATES,
    RESULTS,
    ArchiveAccess,
    ArchiveCheck,
    ArchiveEntry,
    ArchiveFile,
    ArchiveFinding,
    ArchiveLoan,
)

bp = Blueprint("archives", __name__, template_folder="templates")

LABELS = dict(kinds=KIND_LABELS, levels=LEVEL_LABELS, loan_kinds=LOAN_KIND_LABELS, loan_states=LOAN_STATE_LABELS,
              results=RESULT_LABELS, actions=ACTION_LABELS)


def local_to_utc(value: datetime | None, estate: Estate) -> datetime | None:
    """A naive local time typed in a form → aware UTC, in the estate's time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(estate.timezone or "Asia/Shanghai")).astimezone(UTC)


def owner_of(row: ArchiveFile) -> str:
    """The unit, resident or building the file is about."""
    parts = [row.unit.number if row.unit else "", row.resident.name if row.resident else "",
             row.building.name if row.building and not row.unit else ""]
    return " · ".join(p for p in parts if p)


def _loan_state(loan: ArchiveLoan) -> str:
    return _("Overdue") if loan.is_overdue() else str(LOAN_STATE_LABELS.get(loan.state, loan.state))



# -- the register ------------------------------------------------------------------------
def filtered_files(filters: FileFilter):
    stmt = scoped(ArchiveFile, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        units = select(Unit.id).where(Unit.estate_id.in_(current_estate_ids() or [0]),
                                      Unit.number.like(pat, escape="\\"))
        stmt = stmt.where(or_(ArchiveFile.number.like(pat, escape="\\"), ArchiveFile.title.like(pat, escape="\\"),
                              ArchiveFile.unit_id.in_(units)))
    if filters.kind.data in KINDS:
        stmt = stmt.where(ArchiveFile.kind == filters.kind.data)
    if filters.level.data in LEVELS:
        stmt = stmt.where(ArchiveFile.level == filters.level.data)
    out_now = select(ArchiveLoan.file_id).where(ArchiveLoan.state == "out")
    if filters.out.data == "1":
        stmt = stmt.where(ArchiveFile.id.in_(out_now))
    elif filters.out.data == "0":
        stmt = stmt.where(ArchiveFile.id.not_in(out_now))
    if filters.overdue.data == "1":
        stmt = stmt.where(ArchiveFile.id.in_(select(ArchiveLoan.file_id).where(services.overdue_filter())))
    return stmt


@bp.route("/")
@require("archives.view")
def index():
    filters = FileFilter(request.args)
    page = ListPage(filtered_files(filters), [
        Column("number", _l("File number"), lambda f: f.number, ArchiveFile.number,
               link=lambda f: url_for("archives.detail", file_id=f.id)),
        Column("title", _l("Title"), lambda f: f.title, ArchiveFile.title),
        Column("kind", _l("Kind"), lambda f: KIND_LABELS.get(f.kind, f.kind), ArchiveFile.kind),
        Column("owner", _l("Unit or building"), owner_of),
        Column("location", _l("Location"), lambda f: f.location, ArchiveFile.cabinet),
        Column("level", _l("Confidentiality"), lambda f: LEVEL_LABELS.get(f.level, f.level), ArchiveFile.level),
        Column("out", _l("Out to"), lambda f: f.open_loan.borrower_name if f.open_loan else ""),
        Column("due", _l("Return by"), lambda f: f.open_loan.due_at if f.open_loan else None, fmt="datetime"),
        Column("estate", _l("Estate"), lambda f: f.estate.name, ArchiveFile.estate_id),
    ], "number", _("Archive files"), "archive-files")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("archives/index.html", page=page, result=page.page(), filters=filters,
                           overdue=services.overdue_count(current_estate_ids()))


def _file_form_page(form, title, status=200, row=None):
    return render_template("archives/form.html", form=form, title=title, row=row,
                           cancel=url_for("archives.detail", file_id=row.id) if row else url_for("archives.index")), status


def _file_args(form) -> dict:
    return dict(kind=form.kind.data, title=form.title.data, number=form.number.data or "",
                unit_number=form.unit_number.data or "", building_id=form.building_id.data or None,
                cabinet=form.cabinet.data or "", shelf=form.shelf.data or "", box=form.box.data or "",
                level=form.level.data, note=form.note.data or "")


@bp.route("/new", methods=["GET", "POST"])
@require("archives.manage")
def new():
    form = FileForm()
    form.estate_id.choices = estate_choices()
    form.building_id.choices = [(0, "—")] + _building_choices(current_estate_ids())
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
        form.unit_number.data = request.args.get("unit", "")[:30]
        return _file_form_page(form, _("Open a file"))
    made = {}

    def act():
        made["f"] = services.add_file(current_user, estate_id=form.estate_id.data, **_file_args(form))
        return _("File %(number)s opened.", number=made["f"].number)

    return record_action(form, act, redirect_to=lambda: url_for("archives.detail", file_id=made["f"].id),
                         rerender=lambda f: _file_form_page(f, _("Open a file"), 422))


@bp.route("/<int:file_id>/edit", methods=["GET", "POST"])
@require("archives.manage")
def edit(file_id):
    row = get_scoped_or_404(ArchiveFile, file_id)
    form = FileForm(obj=row) if request.method == "GET" else FileForm()
    form.estate_id.choices = estate_choices()
    form.building_id.choices = [(0, "—")] + _building_choices([row.estate_id])
    form.estate_id.data = row.estate_id
    form.estate_id.render_kw = {"disabled": True}
    title = _("Edit file %(number)s", number=row.number)
    if request.method == "GET":
        form.unit_number.data = row.unit.number if row.unit else ""
        form.building_id.data = row.building_id or 0
        return _file_form_page(form, title, row=row)

    def act():
        services.edit_file(current_user, get_scoped_or_404(ArchiveFile, file_id), **_file_args(form))
        return _("File %(number)s saved.", number=form.number.data)

    return record_action(form, act, redirect_to=url_for("archives.detail", file_id=file_id),
                         rerender=lambda f: _file_form_page(f, title, 422, row=get_scoped_or_404(ArchiveFile, file_id)))


def _scans(entries) -> dict[int, list[Attachment]]:
    ids = [e.id for e in entries]
    out: dict[int, list[Attachment]] = {}
    if ids:
        for att in db.session.scalars(select(Attachment).where(
                Attachment.owner_table == ArchiveEntry.__tablename__, Attachment.owner_id.in_(ids),
                Attachment.voided_at.is_(None)).order_by(Attachment.id)):
            out.setdefault(att.owner_id, []).append(att)
    return out


def _detail(row, status=200, **forms):
    entries = db.session.scalars(select(ArchiveEntry).where(ArchiveEntry.file_id == row.id)
                                 .order_by(ArchiveEntry.at, ArchiveEntry.id)).all()
    loans = db.session.scalars(select(ArchiveLoan).where(ArchiveLoan.file_id == row.id)
                               .order_by(ArchiveLoan.requested_at.desc(), ArchiveLoan.id.desc())).all()
    findings = db.session.scalars(select(ArchiveFinding).where(ArchiveFinding.file_id == row.id)
                                  .order_by(ArchiveFinding.id.desc())).all()
    access = db.session.scalars(select(ArchiveAccess).where(ArchiveAccess.file_id == row.id)
                                .order_by(ArchiveAccess.at.desc(), ArchiveAccess.id.desc()).limit(200)).all()
    withdrawn = {e.withdraws_id for e in entries if e.withdraws_id}
    due = to_local(utcnow() + timedelta(days=1)).replace(tzinfo=None, second=0, microsecond=0)
    request_form = forms.get("request_form") or RequestForm(prefix="req", formdata=None, due_at=due)
    inspection_form = forms.get("inspection_form") or InspectionForm(prefix="insp", formdata=None, due_at=due)
    return render_template(
        "archives/detail.html", row=row, owner=owner_of(row), entries=entries, loans=loans, findings=findings,
        access=access, withdrawn=withdrawn, scans=_scans(entries), see_scans=services.may_see_scans(current_user, row),
        open_loan=services.open_loan(row.id), request_form=request_form, inspection_form=inspection_form,
        document_form=forms.get("document_form") or DocumentForm(prefix="doc"),
        withdraw_form=WithdrawForm(prefix="wd"), decision_form=DecisionForm(prefix="decision"),
        return_form=ReturnForm(prefix="ret"), extend_form=ExtendForm(prefix="ext", formdata=None),
        **LABELS), status


@bp.route("/<int:file_id>")
@require("archives.view")
def detail(file_id):
    row = get_scoped_or_404(ArchiveFile, file_id)
    if services.log_access(current_user, row, "page") is not None:
        db.session.commit()
    return _detail(row)


@bp.route("/<int:file_id>/scans/<int:attachment_id>")
@require("archives.view")
def scan(file_id, attachment_id):
    """A scan of the file, served here (not by the core's /attachments/, which the plugin's
    record rule closes to archive scans) so that each view of a confidential file is logged."""
    row = get_scoped_or_404(ArchiveFile, file_id)
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.voided_at is not None or att.owner_table != ArchiveEntry.__tablename__ \
            or att.estate_id != row.estate_id:
        abort(404)
    entry = db.session.get(ArchiveEntry, att.owner_id)
    if entry is None or entry.file_id != row.id:
        abort(404)
    if not services.may_see_scans(current_user, row):
        abort(403)
    path = Path(current_app.config["PROPDESK_INSTANCE"]) / "uploads" / att.stored_as
    if not path.is_file():
        abort(404)
    if services.log_access(current_user, row, "scan", att) is not None:
        db.session.commit()
    return send_file(path, mimetype=att.content_type, download_name=att.filename, max_age=0)


@bp.route("/<int:file_id>/documents", methods=["POST"])
@require("archives.manage")
def add_document(file_id):
    row = get_scoped_or_404(ArchiveFile, file_id)
    form = DocumentForm(prefix="doc")

    def act():
        from core.attachments import check_upload, save_upload

        files = [f for f in request.files.getlist("doc-scans") if f and f.filename]
        for storage in files:  # all checked before anything is saved
            check_upload(storage, allow_pdf=True)
            storage.stream.seek(0)
        entry = services.add_document(current_user, row, title=form.title.data, note=form.note.data or "")
        for storage in files:
            save_upload(storage, entry, allow_pdf=True)
        return _("Document %(title)s added to file %(number)s.", title=entry.title, number=row.number)

    return record_action(form, act, redirect_to=url_for("archives.detail", file_id=file_id),
                         rerender=lambda f: _detail(get_scoped_or_404(ArchiveFile, file_id), 422, document_form=f))


@bp.route("/entries/<int:entry_id>/withdraw", methods=["POST"])
@require("archives.manage")
def withdraw(entry_id):
    entry = get_scoped_or_404(ArchiveEntry, entry_id)
    form = WithdrawForm(prefix="wd")
    back = url_for("archives.detail", file_id=entry.file_id)

    def act():
        services.withdraw_document(current_user, entry, note=form.note.data)
        return _("Document %(title)s withdrawn.", title=entry.title)

    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _refused(f, entry.file_id))


def _refused(form, file_id):
    """A refused action of a file's page: its errors flashed on the file's page (422)."""
    from flask import flash

    for errors in ((form.errors if form is not None else None) or {}).values():
        for message in errors:
            flash(str(message), "danger")
    return _detail(get_scoped_or_404(ArchiveFile, file_id), 422)


# -- requests and loans ------------------------------------------------------------------
@bp.route("/<int:file_id>/request", methods=["POST"])
@require("archives.request")
def ask(file_id):
    row = get_scoped_or_404(ArchiveFile, file_id)
    form = RequestForm(prefix="req")

    def act():
        loan = services.request_file(current_user, row, kind=form.kind.data, purpose=form.purpose.data,
                                     borrower_name=form.borrower_name.data or "",
                                     due_at=local_to_utc(form.due_at.data, row.estate))
        if loan.state == "approved":
            return _("Request recorded and approved: the archivist can hand the file out.")
        return _("Request sent: the office manager decides.")

    return record_action(form, act, redirect_to=url_for("archives.detail", file_id=file_id),
                         rerender=lambda f: _detail(get_scoped_or_404(ArchiveFile, file_id), 422, request_form=f))


@bp.route("/<int:file_id>/inspection", methods=["POST"])
@require("archives.manage")
def inspection(file_id):
    row = get_scoped_or_404(ArchiveFile, file_id)
    form = InspectionForm(prefix="insp")

    def act():
        services.record_inspection(current_user, row, inspector=form.inspector.data, purpose=form.purpose.data,
                                   due_at=local_to_utc(form.due_at.data, row.estate))
        return _("Superior's inspection recorded: file %(number)s handed out.", number=row.number)

    return record_action(form, act, redirect_to=url_for("archives.detail", file_id=file_id),
                         rerender=lambda f: _detail(get_scoped_or_404(ArchiveFile, file_id), 422, inspection_form=f))


def _loan_back(loan):
    nxt = request.form.get("next", "")
    if nxt == "loans":
        return url_for("archives.loans")
    return url_for("archives.detail", file_id=loan.file_id)


@bp.route("/loans/<int:loan_id>/<any(approve, refuse):decision>", methods=["POST"])
@require("archives.approve")
def decide(loan_id, decision):
    loan = get_scoped_or_404(ArchiveLoan, loan_id)
    form = DecisionForm(prefix="decision")
    back = _loan_back(loan)

    def act():
        services.decide(current_user, loan, approve=decision == "approve", note=form.note.data or "")
        return _("Request approved.") if decision == "approve" else _("Request refused.")

    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _refused(f, loan.file_id))


@bp.route("/loans/<int:loan_id>/hand-out", methods=["POST"])
@require("archives.manage")
def hand_out(loan_id):
    loan = get_scoped_or_404(ArchiveLoan, loan_id)
    back = _loan_back(loan)

    def act():
        services.hand_out(current_user, loan)
        return _("File %(number)s handed out to %(name)s.", number=loan.file.number, name=loan.borrower_name)

    return record_action(None, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda _f: _refused(None, loan.file_id))


@bp.route("/loans/<int:loan_id>/return", methods=["POST"])
@require("archives.manage")
def give_back(loan_id):
    loan = get_scoped_or_404(ArchiveLoan, loan_id)
    form = ReturnForm(prefix="ret")
    back = _loan_back(loan)

    def act():
        services.take_back(current_user, loan, note=form.note.data or "")
        return _("File %(number)s returned.", number=loan.file.number)

    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _refused(f, loan.file_id))


@bp.route("/loans/<int:loan_id>/extend", methods=["POST"])
@require("archives.approve")
def extend(loan_id):
    loan = get_scoped_or_404(ArchiveLoan, loan_id)
    form = ExtendForm(prefix="ext")
    back = _loan_back(loan)

    def act():
        services.extend(current_user, loan, due_at=local_to_utc(form.due_at.data, loan.estate),
                        reason=form.reason.data or "")
        return _("File %(number)s is to be returned by %(due)s.", number=loan.file.number,
                 due=fmt_datetime(loan.due_at, tz=loan.estate.timezone or None))

    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _refused(f, loan.file_id))


@bp.route("/loans/<int:loan_id>/cancel", methods=["POST"])
@require("archives.request")
def cancel(loan_id):
    loan = get_scoped_or_404(ArchiveLoan, loan_id)
    back = _loan_back(loan)

    def act():
        services.cancel(current_user, loan)
        return _("Request withdrawn.")

    return record_action(None, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda _f: _refused(None, loan.file_id))


def filtered_loans(filters: LoanFilter):
    stmt = scoped(ArchiveLoan, estate_ids=current_estate_ids())
    state = filters.state.data or ""
    if state == "overdue":
        stmt = stmt.where(services.overdue_filter())
    elif state in LOAN_STATES:
        stmt = stmt.where(ArchiveLoan.state == state)
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        files = select(ArchiveFile.id).where(ArchiveFile.estate_id.in_(current_estate_ids() or [0]),
                                             or_(ArchiveFile.number.like(pat, escape="\\"),
                                                 ArchiveFile.title.like(pat, escape="\\")))
        stmt = stmt.where(or_(ArchiveLoan.file_id.in_(files), ArchiveLoan.borrower_name.like(pat, escape="\\")))
    return stmt


@bp.route("/loans")
@require("archives.view")
def loans():
    filters = LoanFilter(request.args)
    page = ListPage(filtered_loans(filters), [
        Column("number", _l("File number"), lambda r: r.file.number,
               link=lambda r: url_for("archives.detail", file_id=r.file_id)),
        Column("title", _l("Title"), lambda r: r.file.title, css="wrap"),
        Column("kind", _l("Request"), lambda r: LOAN_KIND_LABELS.get(r.kind, r.kind), ArchiveLoan.kind),
        Column("borrower", _l("Borrower"), lambda r: r.borrower_name, ArchiveLoan.borrower_name),
        Column("purpose", _l("Purpose"), lambda r: r.purpose, css="wrap"),
        # Who asked, when, who decided and the hand-over times from 1400 px on (1366 px fits the rest).
        Column("requested_by", _l("Requested by"), lambda r: r.requested_by.full_name, show="xxl"),
        Column("requested_at", _l("Requested at"), lambda r: r.requested_at, ArchiveLoan.requested_at, fmt="datetime",
               show="xxl"),
        Column("decided_by", _l("Decided by"), lambda r: r.decided_by.full_name if r.decided_by else "", show="xxl"),
        Column("handed_out_at", _l("Handed out at"), lambda r: r.handed_out_at, ArchiveLoan.handed_out_at,
               fmt="datetime", show="xxl"),
        Column("due", _l("Return by"), lambda r: r.due_at, ArchiveLoan.due_at, fmt="datetime"),
        Column("extensions", _l("Times kept longer"), lambda r: r.extensions or "", ArchiveLoan.extensions, show="xxl"),
        Column("returned_at", _l("Returned at"), lambda r: r.returned_at, ArchiveLoan.returned_at, fmt="datetime",
               show="xxl"),
        Column("state", _l("State"), _loan_state, ArchiveLoan.state),
        Column("estate", _l("Estate"), lambda r: r.estate.name, ArchiveLoan.estate_id),
    ], "-requested_at", _("File requests and loans"), "archive-loans")
    if fmt := page.wants_export():
        return page.export(fmt)
    pending = db.session.scalars(scoped(ArchiveLoan, estate_ids=current_estate_ids())
                                 .where(ArchiveLoan.state.in_(("pending", "approved")))
                                 .order_by(ArchiveLoan.requested_at, ArchiveLoan.id).limit(100)).all()
    return render_template("archives/loans.html", page=page, result=page.page(), filters=filters, pending=pending,
                           overdue=services.overdue_count(current_estate_ids()),
                           decision_form=DecisionForm(prefix="decision"), **LABELS)


@bp.route("/loans/<int:loan_id>/slip")
@require("archives.view")
def slip(loan_id):
    """The file borrowing slip (档案借阅单), printed for signatures."""
    loan = get_scoped_or_404(ArchiveLoan, loan_id)
    return render_template("archives/slip_print.html", loan=loan, owner=owner_of(loan.file), **LABELS)


# -- the inspection plan -----------------------------------------------------------------
def _checks_page(form, status=200):
    today = today_local()
    rows = db.session.scalars(scoped(ArchiveCheck, estate_ids=current_estate_ids())
                              .order_by(ArchiveCheck.year.desc(), ArchiveCheck.planned_on, ArchiveCheck.id)).all()
    status_by_estate = [(db.session.get(Estate, e), services.plan_status(e, today)) for e in current_estate_ids()]
    open_findings = db.session.scalars(scoped(ArchiveFinding, estate_ids=current_estate_ids()).where(
        ArchiveFinding.result.in_(("damaged", "missing")), ArchiveFinding.followed_up_at.is_(None))
        .order_by(ArchiveFinding.id)).all()
    return render_template("archives/checks.html", form=form, rows=rows, status=status_by_estate,
                           open_findings=open_findings, follow_form=FollowUpForm(prefix="fu"), **LABELS), status


@bp.route("/checks", methods=["GET", "POST"])
@require("archives.view")
def checks():
    form = CheckForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        form.estate_id.data = (current_estate_ids() or [0])[0]
        return _checks_page(form)
    if not has_permission("archives.manage"):
        abort(403)

    def act():
        row = services.plan_check(current_user, estate_id=form.estate_id.data, planned_on=form.planned_on.data,
                                  title=form.title.data)
        return _("Check %(title)s planned for %(day)s.", title=row.title, day=row.planned_on.isoformat())

    return record_action(form, act, redirect_to=url_for("archives.checks"), rerender=lambda f: _checks_page(f, 422))


def _check_page(check, form=None, status=200, chosen=None):
    files = db.session.scalars(select(ArchiveFile).where(ArchiveFile.estate_id == check.estate_id)
                               .order_by(ArchiveFile.number)).all()
    form = form or RecordCheckForm(formdata=None, done_on=today_local())
    return render_template("archives/check.html", check=check, files=files, form=form, chosen=chosen or {},
                           result_keys=RESULTS, follow_form=FollowUpForm(prefix="fu"), owner=owner_of,
                           **LABELS), status


@bp.route("/checks/<int:check_id>")
@require("archives.view")
def check(check_id):
    return _check_page(get_scoped_or_404(ArchiveCheck, check_id))


@bp.route("/checks/<int:check_id>/record", methods=["POST"])
@require("archives.manage")
def record_check(check_id):
    row = get_scoped_or_404(ArchiveCheck, check_id)
    form = RecordCheckForm()
    results = {}
    for name, value in request.form.items():
        if name.startswith("result-") and name[7:].isdigit() and len(name) < 20:
            fid = int(name[7:])
            results[fid] = (value, request.form.get(f"note-{fid}", ""))

    def act():
        services.record_check(current_user, row, done_on=form.done_on.data, results=results,
                              summary=form.summary.data or "")
        return _("Check %(title)s recorded.", title=row.title)

    return record_action(form, act, redirect_to=url_for("archives.check", check_id=check_id), field="done_on",
                         rerender=lambda f: _check_page(get_scoped_or_404(ArchiveCheck, check_id), f, 422, results))


@bp.route("/findings/<int:finding_id>/follow-up", methods=["POST"])
@require("archives.manage")
def follow_up(finding_id):
    finding = get_scoped_or_404(ArchiveFinding, finding_id)
    form = FollowUpForm(prefix="fu")
    back = url_for("archives.check", check_id=finding.check_id)

    def act():
        services.follow_up(current_user, finding, note=form.note.data)
        return _("Follow-up recorded for file %(number)s.", number=finding.file.number)

    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _follow_refused(f, finding.check_id))


def _follow_refused(form, check_id):
    from flask import flash

    for errors in (form.errors or {}).values():
        for message in errors:
            flash(str(message), "danger")
    return _check_page(get_scoped_or_404(ArchiveCheck, check_id), status=422)


@bp.route("/checks/<int:check_id>/print")
@require("archives.view")
def check_print(check_id):
    """The inspection report (档案检查记录): every file's finding and the follow-ups."""
    row = get_scoped_or_404(ArchiveCheck, check_id)
    return render_template("archives/check_print.html", check=row, owner=owner_of, **LABELS)

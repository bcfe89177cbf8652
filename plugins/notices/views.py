from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField

from core.actions import record_action
from core.errors import DomainError
from core.extensions import db
from core.forms import options
from core.i18n import today_local
from core.listing import Column, FilterForm, ListPage
from core.permissions import require
from core.security import current_estate_ids, get_scoped_or_404, scoped
from core.views.estates import estate_choices
from plugins.notices import services
from plugins.notices.forms import CATEGORY_LABELS, STATE_LABELS, NoticeForm, WithdrawForm
from plugins.notices.models import STATES, Notice

bp = Blueprint("notices", __name__, template_folder="templates")


class NoticeFilter(FilterForm):
    q = StringField(_l("Title or number"))
    state = SelectField(_l("State"), choices=options([("", _l("All"))] + [(s, STATE_LABELS[s]) for s in STATES]),
                        validate_choice=False)


@bp.route("/")
@require("notices.view")
def index():
    filters = NoticeFilter(request.args)
    stmt = scoped(Notice, estate_ids=current_estate_ids())
    if filters.q.data:
        from core.hooks import _like

        pat = _like(filters.q.data.strip())
        stmt = stmt.where(Notice.title.like(pat, escape="\\") | Notice.number.like(pat, escape="\\"))
    if filters.state.data in STATES:
        stmt = stmt.where(Notice.state == filters.state.data)
    page = ListPage(stmt, [
        Column("number", _l("Number"), lambda n: n.number or "—", Notice.number),
        Column("title", _l("Title"), lambda n: n.title, Notice.title,
               link=lambda n: url_for("notices.detail", notice_id=n.id)),
        Column("category", _l("Category"), lambda n: CATEGORY_LABELS.get(n.category, n.category), Notice.category),
        Column("from", _l("Posted from"), lambda n: n.posted_from, Notice.posted_from, fmt="date"),
        Column("until", _l("Posted until"), lambda n: n.posted_until, Notice.posted_until, fmt="date"),
        Column("state", _l("State"), lambda n: STATE_LABELS.get(n.state, n.state), Notice.state),
    ], "-from", _("Notices"), "notices")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("notices/index.html", page=page, result=page.page(), filters=filters)


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:notice_id>/edit", methods=["GET", "POST"])
@require("notices.edit")
def form(notice_id=None):
    notice = get_scoped_or_404(Notice, notice_id) if notice_id else None
    form = NoticeForm(obj=notice)
    form.estate_id.choices = estate_choices()
    if request.method == "GET" and notice is None:
        form.posted_from.data = today_local()
        if len(current_estate_ids()) == 1:
            form.estate_id.data = current_estate_ids()[0]
    if form.validate_on_submit():
        try:
            notice = services.save_draft(
                current_user, notice, estate_id=form.estate_id.data, title=form.title.data,
                body=form.body.data, category=form.category.data, buildings=form.buildings.data or "",
                posted_from=form.posted_from.data, posted_until=form.posted_until.data)
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for("notices.detail", notice_id=notice.id))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("notices/form.html", form=form, notice=notice), (422 if request.method == "POST" else 200)


@bp.route("/<int:notice_id>")
@require("notices.view")
def detail(notice_id):
    notice = get_scoped_or_404(Notice, notice_id)
    return render_template("notices/detail.html", notice=notice, withdraw_form=WithdrawForm(),
                           categories=CATEGORY_LABELS, states=STATE_LABELS)


@bp.route("/<int:notice_id>/print")
@require("notices.view")
def print_notice(notice_id):
    notice = get_scoped_or_404(Notice, notice_id)
    return render_template("notices/print.html", notice=notice)


@bp.route("/<int:notice_id>/publish", methods=["POST"])
@require("notices.publish")
def publish(notice_id):
    notice = get_scoped_or_404(Notice, notice_id)

    def act():
        services.publish(current_user, notice)
        return _("Notice %(n)s published.", n=notice.number)

    back = url_for("notices.detail", notice_id=notice_id)
    return record_action(None, act, redirect_to=back, rerender=lambda _form: redirect(back))


@bp.route("/<int:notice_id>/withdraw", methods=["POST"])
@require("notices.publish")
def withdraw(notice_id):
    notice = get_scoped_or_404(Notice, notice_id)
    form = WithdrawForm()

    def act():
        services.withdraw(current_user, notice, form.reason.data)
        return _("Notice withdrawn.")

    return record_action(form, act, redirect_to=url_for("notices.detail", notice_id=notice_id),
                         rerender=lambda f: (render_template(
                             "notices/detail.html", notice=get_scoped_or_404(Notice, notice_id), withdraw_form=f,
                             categories=CATEGORY_LABELS, states=STATE_LABELS), 422))

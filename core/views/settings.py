"""Plugin settings pages: one form per ``settings_spec``, for the site or one estate."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from core.extensions import db
from core.permissions import has_permission, require
from core.security import user_estate_ids
from core.settings import get_settings, save_settings, spec_for, specs

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@bp.route("/")
@require("core.estates.view")
def index():
    visible = [s for s in specs() if has_permission(s.permission)]
    if not visible:
        abort(403)
    return render_template("admin/settings.html", specs=visible)


@bp.route("/<namespace>", methods=["GET", "POST"])
@require("core.estates.view")
def edit(namespace):
    spec = spec_for(namespace)
    if spec is None:
        abort(404)
    if not has_permission(spec.permission):
        abort(403)
    estate_id = None
    if spec.scope == "estate":
        estate_id = request.values.get("estate", type=int)
        if estate_id is None or estate_id not in user_estate_ids():
            estate_id = (user_estate_ids() or [None])[0]
        if estate_id is None:
            abort(404)
    values = get_settings(namespace, estate_id)
    form = spec.form_class(formdata=request.form if request.method == "POST" else None,
                           data=values if request.method == "GET" else None)
    if request.method == "GET":
        form.process(MultiDict(), data=values)
    if form.validate_on_submit():
        data = {k: _jsonable(v) for k, v in form.data.items() if k != "csrf_token"}
        save_settings(namespace, data, estate_id)
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("settings.edit", namespace=namespace, estate=estate_id))
    from core.views.estates import estate_choices

    return render_template("admin/settings_form.html", spec=spec, form=form, estate_id=estate_id,
                           estates=estate_choices() if spec.scope == "estate" else [])

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import Form, options
from plugins.notices.models import CATEGORIES

CATEGORY_LABELS = {
    "outage": _l("Water or power outage"), "maintenance": _l("Maintenance works"),
    "fees": _l("Fees"), "event": _l("Community event"), "safety": _l("Safety"), "general": _l("General"),
}
STATE_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "withdrawn": _l("Withdrawn")}


class NoticeForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(_l("Category"), choices=options([(c, CATEGORY_LABELS[c]) for c in CATEGORIES]))
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=10000)], render_kw={"rows": 8})
    buildings = StringField(_l("Buildings (codes, comma separated; empty = whole estate)"),
                            validators=[Optional(), Length(max=200)])
    posted_from = DateField(_l("Posted from"), validators=[DataRequired()])
    posted_until = DateField(_l("Posted until"), validators=[Optional()])


class WithdrawForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(min=2, max=500)])

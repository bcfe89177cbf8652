"""Plugin settings: a form per spec, site-wide or per estate, defaults overlaid."""

from core.settings import get_settings

SOURCE = """
from wtforms import IntegerField
from wtforms.validators import NumberRange
from core import hookimpl
from core.forms import Form
from core.settings import SettingsSpec


class SlaForm(Form):
    reply_hours = IntegerField("Reply within (hours)", validators=[NumberRange(1, 240)])


@hookimpl
def settings_spec():
    return [SettingsSpec("sla", "Service levels", SlaForm, {"reply_hours": 24}, scope="estate",
                         permission="core.estates.edit")]
"""


def test_an_estate_setting_is_edited_on_its_page_and_overrides_the_default(
        make_app, temp_plugin, make_user, estates):
    from core.extensions import db
    from core.models import Estate

    code, package = temp_plugin("sla", {"code": "sla", "name": "SLA", "version": "1"}, SOURCE)
    e1, e2 = (e.id for e in estates)
    app = make_app(plugins=[], extra={code: package})
    with app.app_context():
        mine = db.session.get(Estate, e1)
        make_user("supervisor", [mine], username="sup")
        make_user("clerk", [mine], username="clk")
    c = app.test_client()
    c.post("/login", data={"username": "sup", "password": "secret-pass-1"})
    page = c.get(f"/admin/settings/sla?estate={e1}").get_data(as_text=True)
    assert 'value="24"' in page and "Settings" in c.get("/").get_data(as_text=True)
    resp = c.post(f"/admin/settings/sla?estate={e1}", data={"reply_hours": "999"})
    assert "Number must be between 1 and 240." in resp.get_data(as_text=True)
    c.post(f"/admin/settings/sla?estate={e1}", data={"reply_hours": "12"})
    with app.app_context():
        assert get_settings("sla", e1) == {"reply_hours": 12}
        assert get_settings("sla", e2) == {"reply_hours": 24}
    c.post("/logout")
    c.post("/login", data={"username": "clk", "password": "secret-pass-1"})
    assert c.get(f"/admin/settings/sla?estate={e1}").status_code == 403

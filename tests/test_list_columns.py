"""Which list column shows from which width (core.listing.responsive, issue 15): a phone sees
the first column and number, unit, state and due; the rest from 768 px; a column may say."""

import pytest

from core.listing import Column, responsive


def _cols(**show):
    return [Column(k, k, lambda r: r, show=show.get(k, ""), css="wrap" if k == "title" else "")
            for k in ("code", "title", "unit", "state", "due", "phone", "done")]


def test_a_phone_shows_the_first_column_and_what_matters_the_rest_from_md():
    css = {c.key: c.css for c in responsive(_cols())}
    assert css == {"code": "code", "title": "wrap d-none d-md-table-cell", "unit": "code", "state": "",
                   "due": "", "phone": "d-none d-md-table-cell", "done": "d-none d-md-table-cell"}


def test_a_column_says_from_which_width_it_shows():
    css = {c.key: c.css for c in responsive(_cols(phone="always", done="xxl", state="lg"))}
    assert css["phone"] == "" and css["done"] == "d-none d-xxl-table-cell" and css["state"] == "d-none d-lg-table-cell"


def test_a_column_hidden_by_its_own_classes_is_left_alone_and_a_wrong_width_refused():
    (kept,) = responsive([Column("x", "x", str), Column("y", "y", str, css="d-none d-xl-table-cell")])[1:]
    assert kept.css == "d-none d-xl-table-cell"
    with pytest.raises(ValueError, match="show='wide'"):
        responsive([Column("x", "x", str, show="wide")])


def test_the_list_table_carries_the_classes_and_the_column_keys(login_as, client, estates):
    login_as("admin", all_estates=True)
    html = client.get("/residents/").get_data(as_text=True)
    assert '<th class="code" data-col="name">' in html
    assert '<th class="" data-col="phone">' in html  # the residents list shows phones on a phone
    assert '<th class="d-none d-md-table-cell" data-col="kind">' in html


@pytest.mark.parametrize("locale,long", [("zh_CN", "2026年11月19日"), ("en", "Nov 19, 2026")])
def test_a_list_date_has_its_long_form_and_a_phone_s_short_one(app, locale, long):
    """A phone shows ``2026-11-19`` on one line (static/css/app.css hides the long form below
    768 px): the date is never broken inside itself, and it fits beside the due column."""
    from datetime import date

    from flask_babel import force_locale

    from core.i18n import list_date

    with app.test_request_context("/"), force_locale(locale):
        html = str(list_date(date(2026, 11, 19)))
        assert html == (f'<span class="date-long">{long}</span>'
                        '<span class="date-short">2026-11-19</span>')
        assert str(list_date(None)) == ""

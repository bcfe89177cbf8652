"""The filter bars' selects (``core.listing.FilterSelect``) render exactly the HTML
of WTForms' own ``Select`` widget: every filter form of the site, and random
choices with awkward values and labels."""

from __future__ import annotations

import importlib
import pkgutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField
from wtforms.widgets import Select

import plugins
from core.listing import FilterForm, FilterSelect


def _all_filter_forms() -> list[type]:
    for mod in pkgutil.walk_packages(plugins.__path__, "plugins."):
        if ".migrations" not in mod.name and ".tests" not in mod.name:
            importlib.import_module(mod.name)
    importlib.import_module("core.views.residents")
    importlib.import_module("core.views.estates")
    importlib.import_module("core.views.admin")
    found, todo = [], [FilterForm]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [c for c in found if c is not FilterForm]


def _stock(field, **kw) -> str:
    return str(Select()(field, **kw))


def test_every_filter_form_of_the_site_renders_as_wtforms_does(app):
    forms = _all_filter_forms()
    assert len(forms) >= 15  # repairs, complaints, visits, fees, residents, units, audit…
    compared = 0
    with app.test_request_context("/"):
        for cls in forms:
            form = cls(MultiDict())
            for field in form:
                if type(field.widget) is not Select:
                    continue
                if field.choices is None:  # the view fills these (estates, staff)
                    field.choices = [("", "All"), (1, "Sunshine & Sons"), (2, '"Riverside"')]
                    try:
                        field.iter_choices()
                    except ValueError:  # a plain int coerce: no "all" option
                        field.choices = field.choices[1:]
                choices = list(field.iter_choices())
                for pick in [None] + [c[0] for c in choices[:3]]:
                    field.data = field.coerce(pick) if pick not in (None, "") else pick
                    rendered = str(field(class_="form-select form-select-sm"))
                    assert rendered == _stock(field, class_="form-select form-select-sm"), (cls, field.name)
                    compared += 1
    assert compared > 60


class _Choices(Form):
    pick = SelectField(validate_choice=False)


awkward = st.one_of(st.text(max_size=12), st.sampled_from(['<b>', 'a "quoted" & <odd>', "", "0", "None"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choices=st.lists(st.tuples(st.one_of(awkward, st.integers(-5, 5), st.booleans()), awkward), max_size=8),
       chosen=st.one_of(st.none(), awkward), attrs=st.booleans(), required=st.booleans())
def test_random_choices_render_as_wtforms_does(app, choices, chosen, attrs, required):
    form = _Choices(MultiDict())
    field = form.pick
    field.choices = [(v, Markup(label) if attrs and label.startswith("<") else label) for v, label in choices]
    if attrs and field.choices:  # an option with attributes of its own takes the stock path
        v, label = field.choices[0]
        field.choices[0] = (v, label, {"data-x": 'a"b'})
    field.data = chosen
    if required:
        field.flags.required = True
    assert str(FilterSelect()(field, class_="f")) == _stock(field, class_="f")


def test_a_filter_bar_select_shows_the_chosen_option(client, login_as, estates):
    login_as("manager")
    page = client.get("/repairs/?state=in_progress&overdue=1").get_data(as_text=True)
    assert '<option selected value="in_progress">In progress</option>' in page
    assert '<option selected value="1">Overdue only</option>' in page
    bar = page[page.index('class="row g-2 align-items-end mb-3 list-filters"'):]
    bar = bar[:bar.index("</form>")]
    # and the two "all" options of the estate and technician filters (coerced None), as WTForms does
    assert bar.count("<option selected") == 4 and '<option selected value="">All my estates</option>' in bar

"""``flask --app wsgi plugins new NAME --dest DIR``: scaffold a third-party plugin project.

The project is complete and pip-installable: ``pip install -e propdesk-plugin-NAME``,
restart PropDesk, ``flask --app wsgi plugins enable NAME``, and its page, menu
entry and permissions are there; ``pytest`` in the project runs its tests with
the fixtures PropDesk ships. ``docs/writing-plugins.md`` explains every file.
"""

from __future__ import annotations

import re
from pathlib import Path

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
# Names the core uses already: its own code, blueprints, top-level URLs and CLI verbs.
RESERVED = frozenset({
    "core", "admin", "auth", "main", "estates", "residents", "settings", "attachments", "static",
    "login", "logout", "language", "profile", "search", "estate", "notifications", "health",
    "plugins", "jobs", "demo", "users", "upgrade", "db", "routes", "run", "shell", "roles",
})


def validate_name(name: str) -> str:
    """The plugin code: lower_snake_case, 2 to 40 characters, not one the core uses."""
    if not isinstance(name, str) or not 2 <= len(name) <= 40 or not NAME_RE.match(name):
        raise ValueError(
            f"plugin name {name!r} must be lower_snake_case: 2 to 40 characters, a letter first, "
            "then letters, digits and single underscores (e.g. 'parking' or 'car_wash')")
    if name in RESERVED:
        raise ValueError(f"plugin name {name!r} is used by the PropDesk core; choose another")
    return name


def check_free(name: str) -> None:
    """Refuse a code an installed plugin has (a built-in, the sample ``parking`` once
    ``pip install -e tests/sample_plugin`` ran, any third-party one) or whose package
    ``propdesk_<name>`` is importable already: the two would share a URL prefix, tables,
    permissions and a package name, and one of them would not load."""
    import importlib.util
    from importlib.metadata import entry_points

    package = f"propdesk_{name}"
    for ep in entry_points(group="propdesk.plugins"):
        if ep.name == name or ep.value.split(":")[0] == package:
            raise ValueError(
                f"plugin name {name!r} is taken: the installed plugin {ep.name!r} (package {ep.value}) "
                "has it; choose another name (the sample plugin is 'parking': call yours e.g. 'car_park')")
    try:
        found = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        found = True
    if found:
        raise ValueError(f"plugin name {name!r} is taken: a package {package!r} is importable already; "
                         "choose another name")


def scaffold(name: str, dest: str) -> Path:
    """Write ``<dest>/propdesk-plugin-<name>/`` and return its path; never overwrites, and
    refuses a name an installed plugin has (:func:`check_free`)."""
    validate_name(name)
    check_free(name)
    root = Path(dest).expanduser().resolve() / f"propdesk-plugin-{name}"
    if root.exists():
        raise ValueError(f"{root} exists already; nothing was written")
    words = {
        "@@code@@": name,
        "@@title@@": name.replace("_", " ").capitalize(),
        "@@dist@@": f"propdesk-plugin-{name.replace('_', '-')}",
        "@@pkg@@": f"propdesk_{name}",
    }
    files = {path.replace("@@pkg@@", words["@@pkg@@"]).replace("@@code@@", name): text
             for path, text in FILES.items()}
    for rel, text in files.items():
        for token, value in words.items():
            text = text.replace(token, value)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.lstrip("\n"), encoding="utf-8")
    return root


FILES: dict[str, str] = {}

FILES["pyproject.toml"] = '''
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "@@dist@@"
version = "0.1.0"
description = "@@title@@: a PropDesk plugin"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["propdesk>=0.1"]

# PropDesk discovers plugins through this group: name = plugin code, value = package.
[project.entry-points."propdesk.plugins"]
@@code@@ = "@@pkg@@"

[tool.setuptools.packages.find]
include = ["@@pkg@@*"]

[tool.setuptools.package-data]
@@pkg@@ = [
    "__manifest__.py",
    "templates/**/*.html",
    "static/**/*",
    "migrations/versions/*.py",
    "translations/*/LC_MESSAGES/*.po",
    "translations/*/LC_MESSAGES/*.mo",
]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
# Select choices as tuples are deprecated (WTForms 3.4 drops them): use core.forms.options().
filterwarnings = ["error:Passing SelectField choices:DeprecationWarning"]

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP"]
ignore = ["E501", "B008", "B904"]
per-file-ignores = { "**/__manifest__.py" = ["B018"] }

[tool.ruff.lint.isort]
# PropDesk's core is imported in one block with this package, after third-party libraries.
known-first-party = ["core", "@@pkg@@"]
'''

FILES["README.md"] = '''
# @@dist@@

A PropDesk plugin (code `@@code@@`). See PropDesk's `docs/writing-plugins.md`.

```sh
pip install -e .                              # next to PropDesk, in its virtualenv; then restart it
flask --app wsgi plugins enable @@code@@      # runs this plugin's migrations
pytest                                        # the tests use the fixtures PropDesk ships
```

Translations: `pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o @@pkg@@/translations/messages.pot @@pkg@@`,
`pybabel init|update -i … -d @@pkg@@/translations -l zh_CN`, `pybabel compile -d @@pkg@@/translations`.
Before translating a short word, see how PropDesk's catalogs already do:
`python -m core.i18n_tools wording Active Period`; `python -m core.i18n_tools check @@pkg@@/translations`
reports a clash (then reuse their wording, or give yours a context with `pgettext`).
'''

FILES["babel.cfg"] = '''
[python: **.py]
[jinja2: **/templates/**.html]
'''

FILES["@@pkg@@/__manifest__.py"] = '''
# Read with ast.literal_eval by PropDesk: a literal dict, no code.
{
    "code": "@@code@@",
    "name": "@@title@@",
    "version": "0.1.0",
    "summary": "",
    "category": "",
    "sequence": 100,
    "author": "",
    "license": "",
    "depends": [],
    "uses": [],
    "core_api": ">=1,<2",
    "default_enabled": True,
    "purgeable": True,
}
'''

FILES["@@pkg@@/__init__.py"] = '''
"""@@title@@: a PropDesk plugin. The hooks return things; the core shows them."""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem


@hookimpl
def permissions():
    return [
        Permission("@@code@@.view", _l("See @@title@@"),
                   ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("@@code@@.edit", _l("Record @@title@@ entries"), ("manager", "supervisor", "clerk")),
    ]


@hookimpl
def blueprints():
    from @@pkg@@.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    return [NavItem(_l("@@title@@"), "@@code@@.index", "service", "@@code@@.view", 100, icon="journal")]
'''

FILES["@@pkg@@/models.py"] = '''
"""Models of the plugin: tables prefixed with the plugin code, scoped to an estate."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin


class Entry(EstateScopedMixin, BusinessRecord, db.Model):
    """One entry of the @@title@@ register."""

    __tablename__ = "@@code@@_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
'''

FILES["@@pkg@@/services.py"] = '''
"""Domain logic: views, CLI and tests call these; they raise DomainError with a field."""

from flask_babel import gettext as _

from core.errors import DomainError
from core.extensions import db
from core.security import user_estate_ids
from @@pkg@@.models import Entry


def add_entry(user, *, estate_id: int, title: str, note: str = "") -> Entry:
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    if not (title or "").strip():
        raise DomainError(_("Enter a title."), "title")
    entry = Entry(estate_id=estate_id, title=title.strip(), note=note or "")
    db.session.add(entry)
    return entry
'''

FILES["@@pkg@@/views.py"] = '''
"""Pages of the plugin, mounted at /@@code@@/."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from core.errors import DomainError
from core.extensions import db
from core.forms import Form
from core.listing import Column, ListPage
from core.permissions import require
from core.security import current_estate_ids, scoped
from core.views.estates import estate_choices
from @@pkg@@ import services
from @@pkg@@.models import Entry

bp = Blueprint("@@code@@", __name__, template_folder="templates")


class EntryForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int)
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


@bp.route("/")
@require("@@code@@.view")
def index():
    page = ListPage(scoped(Entry, estate_ids=current_estate_ids()), [
        Column("title", _l("Title"), lambda e: e.title, Entry.title),
        Column("note", _l("Note"), lambda e: e.note),
        Column("created", _l("Recorded"), lambda e: e.created_at, Entry.created_at, fmt="datetime"),
    ], "-created", _("@@title@@"), "@@code@@")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("@@code@@/index.html", page=page, result=page.page())


@bp.route("/new", methods=["GET", "POST"])
@require("@@code@@.edit")
def new():
    form = EntryForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET" and len(current_estate_ids()) == 1:
        form.estate_id.data = current_estate_ids()[0]
    if form.validate_on_submit():
        try:
            services.add_entry(current_user, estate_id=form.estate_id.data, title=form.title.data,
                               note=form.note.data or "")
            db.session.commit()
            flash(_("Entry saved."), "success")
            return redirect(url_for("@@code@@.index"))
        except DomainError as exc:
            db.session.rollback()
            form.add_error(exc.field, exc.message)
    return render_template("@@code@@/form.html", form=form)
'''

FILES["@@pkg@@/templates/@@code@@/index.html"] = '''
{% extends "base.html" %}
{% from "macros/list.html" import table %}
{% block title %}{{ _('@@title@@') }}{% endblock %}
{% block content %}
<div class="d-flex justify-content-between align-items-center mb-3">
  <h1 class="h3">{{ _('@@title@@') }}</h1>
  {% if can('@@code@@.edit') %}<a class="btn btn-primary" href="{{ url_for('@@code@@.new') }}">{{ _('New entry') }}</a>{% endif %}
</div>
{{ table(page, result) }}
{% endblock %}
'''

FILES["@@pkg@@/templates/@@code@@/form.html"] = '''
{% extends "base.html" %}
{% from "macros/forms.html" import render %}
{% block title %}{{ _('New entry') }}{% endblock %}
{% block content %}
<h1 class="h3 mb-3">{{ _('New entry') }}</h1>
<div class="col-lg-6">{{ render(form, cancel=url_for('@@code@@.index')) }}</div>
{% endblock %}
'''

FILES["@@pkg@@/translations/README.md"] = '''
Catalogs of this plugin: `<locale>/LC_MESSAGES/messages.po` (compiled to `.mo` before building).
'''

FILES["@@pkg@@/migrations/versions/@@code@@_0001_initial.py"] = '''
"""@@code@@ initial: the first revision of the plugin's own Alembic branch.

Revision ID: @@code@@_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = "@@code@@_0001"
down_revision = None
branch_labels = ("@@code@@",)
depends_on = ("core_0001",)


def upgrade():
    op.create_table(
        "@@code@@_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("estate_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["core_user.id"],
                                name=op.f("fk_@@code@@_entry_created_by_id_core_user")),
        sa.ForeignKeyConstraint(["estate_id"], ["core_estate.id"],
                                name=op.f("fk_@@code@@_entry_estate_id_core_estate")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["core_user.id"],
                                name=op.f("fk_@@code@@_entry_updated_by_id_core_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_@@code@@_entry")),
    )
    with op.batch_alter_table("@@code@@_entry") as batch_op:
        batch_op.create_index(batch_op.f("ix_@@code@@_entry_estate_id"), ["estate_id"], unique=False)


def downgrade():
    with op.batch_alter_table("@@code@@_entry") as batch_op:
        batch_op.drop_index(batch_op.f("ix_@@code@@_entry_estate_id"))
    op.drop_table("@@code@@_entry")
'''

FILES["tests/conftest.py"] = '''
"""Fixtures of the @@code@@ plugin's tests. PropDesk ships the others (``core.testing``,
a pytest plugin): make_app, db, client, estates, make_user, login_as, temp_plugin."""

import pytest
from sqlalchemy import delete

from core.demo import ensure_roles
from core.extensions import db
from core.models import Role
from core.site import enable

CODE, PACKAGE = "@@code@@", "@@pkg@@"


@pytest.fixture
def app(make_app):
    """The site with this plugin enabled; enabling runs its migrations (``upgrade @@code@@@head``).

    Load every installed plugin (no ``plugins=[...]`` allow-list): Alembic must
    know each branch already applied to the shared test database.
    """
    app = make_app(extra={CODE: PACKAGE})
    with app.app_context():
        db.session.execute(delete(Role))  # the standard roles afresh, with this plugin's defaults
        ensure_roles()
        db.session.commit()
        enable(CODE)
        yield app
'''

FILES["tests/test_@@code@@.py"] = '''
"""Tests of the @@code@@ plugin: what staff see and what was saved (fixtures: conftest.py)."""

from sqlalchemy import select

from core.extensions import db
from @@pkg@@.models import Entry


def test_a_clerk_records_an_entry_and_finds_it_in_the_list(client, login_as, estates):
    login_as("clerk", estates=[estates[0]])
    assert 'href="/@@code@@/"' in client.get("/").get_data(as_text=True)
    page = client.post("/@@code@@/new", data={"estate_id": estates[0].id, "title": "First entry"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Entry saved." in page and "First entry" in page
    assert db.session.scalar(select(Entry.title).where(Entry.estate_id == estates[0].id)) == "First entry"


def test_a_missing_title_is_shown_beside_the_field(client, login_as, estates):
    login_as("clerk", estates=[estates[0]])
    page = client.post("/@@code@@/new", data={"estate_id": estates[0].id, "title": ""}).get_data(as_text=True)
    assert 'data-field="title"' in page
    assert db.session.scalar(select(Entry)) is None


def test_a_technician_has_no_access(client, login_as, estates):
    login_as("technician", estates=[estates[0]])
    assert 'href="/@@code@@/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/@@code@@/").status_code == 403
'''

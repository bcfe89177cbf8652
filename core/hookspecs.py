"""The core's hook specifications: the contract third-party plugins rely on.

Every hook is called with keyword arguments only. An implementation may accept
any subset of the arguments (pluggy passes only what it asks for), so new
arguments can be added without breaking plugins. Hooks *return* values; the
core gates them by the site's enabled plugins, sorts them, checks permissions
and isolates failures (UI hooks: an exception becomes an error box in that
slot). ``docs/hooks.md`` documents each one; ``tests/test_hook_contract.py``
checks that every hook here is documented there and tested.
"""

from core import hookspec


@hookspec
def permissions():
    """Declare permission codes.

    Called once at start-up and when roles are edited. Return a list of
    :class:`core.permissions.Permission` (``code`` like ``"repairs.dispatch"``,
    translatable ``title``, ``default_roles`` — role codes that receive it when
    demo roles are created).
    """


@hookspec
def blueprints():
    """Return the plugin's Flask blueprints.

    Called once at start-up for every loaded plugin (enabled or not: Flask
    cannot add routes later). Each blueprint is mounted at ``/<plugin code>/``
    unless it sets its own ``url_prefix``. While the plugin is disabled its
    routes answer 404.
    """


@hookspec
def cli_commands():
    """Return a list of ``click`` commands or groups, added under ``flask <code>``."""


@hookspec
def nav_items(user, estates):
    """Return menu entries (:class:`core.ui.NavItem`) for ``user``.

    ``estates`` are the estates in the user's current scope. Items whose
    ``permission`` the user lacks are dropped by the core; ``badge`` may be a
    number (e.g. overdue cases) or ``None``.
    """


@hookspec
def dashboard_widgets(user, estates):
    """Return :class:`core.ui.Widget` objects for the home page.

    Each widget renders its own template; an exception while building or
    rendering one shows an error box in its place and the page survives.
    """


@hookspec
def unit_panels(unit, user):
    """Return :class:`core.ui.Panel` objects shown on the unit page (the 360° view)."""


@hookspec
def resident_panels(resident, user):
    """Return :class:`core.ui.Panel` objects shown on the resident page."""


@hookspec
def search(query, user, estates, limit):
    """Return a list of :class:`core.ui.SearchHit` for the global search box.

    ``query`` is stripped, non-empty text; ``estates`` is the list of estate ids
    the user may see (never search outside it); return at most ``limit`` hits.
    """


@hookspec
def record_rules(user):
    """Return extra row filters: a dict ``{Model: [sqlalchemy expressions]}``.

    Applied by :func:`core.security.scoped` on top of the estate scope, so lists,
    counts, searches and exports agree. Filters only ever narrow (a deny wins).
    """


@hookspec
def settings_spec():
    """Return a list of :class:`core.settings.SettingsSpec` (a WTForms form class,
    defaults and a scope, ``"site"`` or ``"estate"``)."""


@hookspec
def scheduled_jobs():
    """Return a list of :class:`core.jobs.Job` (code, interval, function).

    ``flask jobs run`` runs the ones that are due, each under a database lease
    so that several hosts never run the same job at once.
    """


@hookspec
def notification_channels():
    """Return :class:`core.notify.Channel` objects that deliver notifications
    (the in-app channel is built in; e-mail, SMS or WeChat come from plugins)."""


@hookspec
def demo_data(estate, users):
    """Create demo records for ``estate`` (used by ``flask demo load`` / ``make run``).

    ``users`` maps demo role codes to :class:`core.models.User`. Add to
    ``db.session``; the core commits.
    """


@hookspec
def plugin_enabled(code):
    """Called after the site enabled plugin ``code`` (its migrations have run)."""


@hookspec
def plugin_disabled(code):
    """Called after the site disabled plugin ``code`` (its data is kept)."""


@hookspec(firstresult=True)
def deadline_for(case_type, estate, priority, start, category):
    """Return the aware UTC ``datetime`` by which a case must be handled, or ``None``.

    ``case_type`` is a string such as ``"repair"`` or ``"complaint.reply"``; ``priority``
    the case's urgency or severity (``"urgent"``, ``"serious"``…); ``category`` what it is
    about (``"water"``, ``"security"``…) or ``None``. The first plugin that answers wins
    (a service-level plugin overrides defaults).
    """


@hookspec
def app_ready(app):
    """Called once at the end of the app factory: add template filters, signals."""

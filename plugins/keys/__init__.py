"""Key custody (钥匙管理): the key register, designated keepers and the loan register.

Only a designated keeper lends and takes back; every loan has a borrower and a reason on
record; an emergency spare set needs a supervisor's recorded approval first; a key is out
at most once at a time (a partial unique index). See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem


@hookimpl
def permissions():
    return [
        Permission("keys.view", _l("See the key register and the loan register"),
                   ("manager", "supervisor", "clerk", "frontdesk", "archivist")),
        Permission("keys.lend", _l("Lend and take back keys (designated keepers only)"),
                   ("supervisor", "clerk", "frontdesk")),
        Permission("keys.manage", _l("Add and edit keys, record lost, damaged and re-cut keys"),
                   ("manager", "supervisor")),
        Permission("keys.approve", _l("Designate key keepers and approve emergency spare loans"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.keys.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.keys.services import overdue_count_query

    badge = overdue_count_query(estates) if has_permission("keys.view", user) else None
    return [
        NavItem(_l("Keys"), "keys.index", "records", "keys.view", 30, badge=badge, icon="key"),
        NavItem(_l("Key loans"), "keys.loans", "records", "keys.view", 31, icon="journal-arrow-up"),
    ]


@hookimpl
def demo_data(estate, users):
    from plugins.keys.demo import load

    load(estate, users)

"""PropDesk core: the thin platform every department plugin stands on.

Plugin authors import the hook markers from here::

    from core import hookimpl, hookspec
"""

import pluggy

#: Version of the plugin contract. A manifest's ``core_api`` range is checked
#: against it ("<major>.<minor>"); bump the major on breaking hook changes, the minor on
#: additions. 1.1: ``deadline_for`` is given the case's ``category``. 1.2: a menu
#: entry's ``badge`` may be a count query, run with the other badges in one statement.
CORE_API_VERSION = "1.2"

hookspec = pluggy.HookspecMarker("propdesk")
hookimpl = pluggy.HookimplMarker("propdesk")


def create_app(config=None):
    """Build the Flask application (see :mod:`core.app`).

    The cycle collector is paused while the app is built: importing and configuring twenty
    plugins creates ~400,000 tracked objects that all live as long as the process, and the
    collector walked them again and again as they grew (a third of the start-up time).
    Reference counting frees as usual meanwhile; the collector runs again afterwards."""
    import gc

    pause = gc.isenabled()
    if pause:
        gc.disable()
    try:
        from core.app import create_app as _create_app

        return _create_app(config)
    finally:
        if pause:
            gc.enable()


__all__ = ["CORE_API_VERSION", "create_app", "hookimpl", "hookspec"]

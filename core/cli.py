"""Command-line verbs: ``flask --app wsgi <verb>``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from core.errors import DomainError
from core.extensions import db

plugins_cli = AppGroup("plugins", help="List, enable, disable, purge and scaffold plugins.")
jobs_cli = AppGroup("jobs", help="Run scheduled jobs.")
demo_cli = AppGroup("demo", help="Demo data.")
users_cli = AppGroup("users", help="Staff accounts.")
roles_cli = AppGroup("roles", help="Roles and their permissions.")


@click.command("upgrade")
def upgrade_cmd():
    """Create or upgrade the database: the core and every enabled plugin's branch."""
    from core.site import upgrade_site

    done = upgrade_site()
    click.echo("database upgraded: core" + "".join(f", {c}" for c in done))


@plugins_cli.command("list")
def plugins_list():
    """Every discovered plugin with its state, version, dependencies and any failure."""
    from core.plugins import plugins
    from core.site import refresh

    refresh(force=True)
    pm = plugins()
    for code, info in sorted(pm.infos.items()):
        m = info.manifest
        if info.skip_reason:
            state = "skipped"
        elif code in pm.enabled:
            state = "enabled"
        else:
            state = "disabled"
        reason = info.skip_reason or pm.state_reasons.get(code, "")
        deps = ",".join(m.depends) if m else ""
        click.echo(f"{code:<16} {state:<9} {m.version if m else '?':<8} "
                   f"depends=[{deps}] {reason}".rstrip())


@plugins_cli.command("enable")
@click.argument("code")
def plugins_enable(code):
    """Enable CODE (and what it depends on) and run its migrations."""
    from core.site import dependency_closure, enable

    try:
        deps = [d for d in dependency_closure(code) if d != code] if code in _pm().infos else []
        if deps:
            click.echo(f"{code} depends on: {', '.join(deps)} (enabled too if needed)")
        changed = enable(code)
    except DomainError as exc:
        raise click.ClickException(str(exc.message))
    click.echo("enabled: " + (", ".join(changed) if changed else f"{code} was already enabled"))


@plugins_cli.command("disable")
@click.argument("code")
def plugins_disable(code):
    """Disable CODE for this site. Its data is kept."""
    from core.site import disable

    try:
        disable(code)
    except DomainError as exc:
        raise click.ClickException(str(exc.message))
    click.echo(f"disabled: {code} (data kept)")


@plugins_cli.command("purge")
@click.argument("code")
@click.option("--yes", is_flag=True, help="Confirm that the plugin's tables are dropped.")
def plugins_purge(code, yes):
    """Drop a disabled plugin's tables (downgrade its branch). Refused for records that must be kept."""
    from flask_migrate import downgrade

    from core.site import plugin_has_migrations, refresh

    refresh(force=True)
    pm = _pm()
    info = pm.infos.get(code)
    if info is None or info.manifest is None:
        raise click.ClickException(f"no plugin {code}")
    if not info.manifest.purgeable:
        raise click.ClickException(f"{code} keeps records that must never be deleted; purge refused")
    if code in pm.enabled:
        raise click.ClickException(f"disable {code} first")
    if not yes:
        raise click.ClickException("add --yes to drop the tables")
    if plugin_has_migrations(code):
        from core.site import MIGRATIONS_DIR

        downgrade(directory=str(MIGRATIONS_DIR), revision=f"{code}@base")
    click.echo(f"purged: {code}")


@plugins_cli.command("new")
@click.argument("name")
@click.option("--dest", default=".", type=click.Path(file_okay=False), help="Where to create it.")
def plugins_new(name, dest):
    """Scaffold a third-party plugin package NAME (a lower_snake_case code)."""
    from core.scaffold import scaffold

    try:
        path = scaffold(name, dest)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"created {path}; next: pip install -e {path}")


@plugins_cli.command("grant-defaults")
@click.argument("code")
def plugins_grant_defaults(code):
    """Give the administrator role every permission of plugin CODE and the standard roles
    the plugin's defaults. Only adds: nothing a role holds is taken away."""
    from core.role_grants import grant_plugin_defaults

    pm = _pm()
    if code not in pm.infos or not pm.infos[code].loaded:
        raise click.ClickException(f"no loaded plugin {code}")
    granted = grant_plugin_defaults(code)
    db.session.commit()
    _echo_granted(granted)


@roles_cli.command("grant")
@click.argument("role")
@click.argument("permissions", nargs=-1, required=True)
def roles_grant(role, permissions):
    """Give ROLE the PERMISSIONS (codes such as repairs.dispatch, or repairs.* for all of a
    plugin's). Only adds."""
    from sqlalchemy import select

    from core.models import Role
    from core.permissions import all_permissions
    from core.role_grants import grant

    role_obj = db.session.scalar(select(Role).where(Role.code == role))
    if role_obj is None:
        raise click.ClickException(f"no role {role}")
    known = sorted(p.code for p in all_permissions())
    codes, unknown = set(), []
    for item in permissions:
        matched = [c for c in known if c.startswith(item[:-1])] if item.endswith(".*") else (
            [item] if item in known else [])
        codes.update(matched)
        if not matched:
            unknown.append(item)
    if unknown:
        raise click.ClickException("unknown permission: " + ", ".join(unknown) + "; nothing granted")
    added = grant(role_obj, codes)
    db.session.commit()
    _echo_granted({role: added} if added else {})


@roles_cli.command("list")
def roles_list():
    """Every role with the permission codes it holds."""
    from sqlalchemy import select

    from core.models import Role

    for role in db.session.scalars(select(Role).order_by(Role.code)):
        click.echo(f"{role.code:<12} {' '.join(sorted(role.permission_codes))}".rstrip())


def _echo_granted(granted: dict) -> None:
    for role, codes in sorted(granted.items()):
        click.echo(f"{role}: granted {', '.join(codes)}")
    if not granted:
        click.echo("nothing to grant: the roles hold these permissions already")


@jobs_cli.command("run")
@click.option("--job", default=None, help="Run only this job code.")
@click.option("--force", is_flag=True, help="Run even if not due yet.")
def jobs_run(job, force):
    """Run every due scheduled job once (safe when several hosts run it together)."""
    from core.jobs import run_due
    from core.site import refresh

    refresh(force=True)
    ran = run_due(only=job, force=force)
    for code, status in ran:
        click.echo(f"{code}: {status}")
    if not ran:
        click.echo("nothing due")


@jobs_cli.command("list")
def jobs_list():
    from core.jobs import all_jobs
    from core.site import refresh

    refresh(force=True)
    for job in all_jobs():
        click.echo(f"{job.code:<40} every {job.interval}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only when the database has no estate yet.")
def demo_load(if_empty):
    """Load demo estates, people and one account per role (password demo1234), in the site's
    language (PROPDESK_DEFAULT_LOCALE: zh_CN gives Chinese demo data, else English)."""
    from core.demo import demo_locale, load_demo
    from core.i18n import LANGUAGE_NAMES

    created = load_demo(only_if_empty=if_empty)
    if created:
        click.echo(f"demo data loaded ({LANGUAGE_NAMES[demo_locale()]})")
    else:
        click.echo("demo data already present, kept in the language it was loaded in "
                   "(for the other language, start from an empty database)")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", default=None)
@click.option("--role", "roles", multiple=True, default=["admin"])
@click.option("--all-estates", is_flag=True, default=False)
@click.password_option()
def users_create(username, name, roles, all_estates, password):
    """Create a staff account (e.g. the first administrator)."""
    from sqlalchemy import select

    from core.models import Role, User

    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException("that username exists")
    role_objs = db.session.scalars(select(Role).where(Role.code.in_(roles))).all()
    if len(role_objs) != len(set(roles)):
        raise click.ClickException("unknown role; run `flask demo load` or create roles first")
    user = User(username=username, full_name=name or username, roles=role_objs,
                all_estates=all_estates)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {username}")


def _pm():
    from core.plugins import plugins

    return plugins()


NOT_UPGRADED = "the database is not upgraded for this version: run `flask --app wsgi upgrade` first"
#: Commands that work on a database that is empty or behind the code.
NO_SCHEMA_NEEDED = {"upgrade", "plugins new"}


def require_upgraded() -> None:
    """Stop a command with a plain message (not a traceback) when the core's migrations
    are not all applied: an empty database, or one behind the code after an update."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.site import core_is_migrated

    try:
        ok = core_is_migrated()
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise click.ClickException(f"cannot read the database: {exc.__class__.__name__}: {exc}") from None
    if not ok:
        db.session.rollback()
        raise click.ClickException(NOT_UPGRADED)


def _needs_schema(command, path: str):
    """Run ``require_upgraded()`` before ``command`` (and every command of a group)."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            _needs_schema(sub, f"{path} {name}")
        return command
    if path in NO_SCHEMA_NEEDED or getattr(command.callback, "_propdesk_schema_checked", False):
        return command
    original = command.callback

    @with_appcontext  # the check reads the database before the command's own context
    def callback(*args, **kwargs):
        require_upgraded()
        return original(*args, **kwargs)

    callback._propdesk_schema_checked = True
    command.callback = callback
    return command


def register(app: Flask, pm) -> None:
    from core.permissions import ROLES  # noqa: F401

    for cmd in (upgrade_cmd, plugins_cli, jobs_cli, demo_cli, users_cli, roles_cli):
        app.cli.add_command(_needs_schema(cmd, cmd.name))
    for impl in pm.pm.hook.cli_commands.get_hookimpls():
        code = impl.plugin_name
        try:
            commands = impl.function() or []
        except Exception:
            import logging

            logging.getLogger(__name__).exception("cli_commands of plugin %s failed", code)
            continue
        group = AppGroup(code, help=f"Commands of the {code} plugin.")
        for c in commands:
            group.add_command(_needs_schema(_gated(c, code), f"{code} {c.name}"))
        app.cli.add_command(group)


def _gated(command, code):
    """A plugin's CLI verb refuses to run while the plugin is disabled on this site."""
    original = command.callback

    def callback(*args, **kwargs):
        from core.site import refresh

        refresh(force=True)
        if not _pm().is_active(code):
            raise click.ClickException(f"plugin {code} is disabled on this site")
        return original(*args, **kwargs)

    command.callback = callback
    return command

"""Alembic environment: one environment, one branch per plugin (label = plugin code).

Autogenerate compares only the tables of the branch being written: pass
``-x branch=<code>`` (``core`` for the core); tables are prefixed ``<code>_``.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db
target_metadata = db.metadata
branch = context.get_x_argument(as_dictionary=True).get("branch")


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "table" and branch:
        return name.startswith(branch + "_") or name == "alembic_version"
    if type_ == "table" and reflected and compare_to is None:
        # Never propose dropping another branch's tables.
        return False
    return True


def run_migrations_offline():
    context.configure(
        url=str(db.engine.url).replace("%", "%%"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

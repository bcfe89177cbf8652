"""resident search indexes: names and phones scanned from an index

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-02 14:50:00.000000

The global search looks for a fragment anywhere in a resident's name or phone
(``LIKE '%…%'``), which no ordinary index can seek. ``ix_core_resident_estate_name_phone``
holds every column the search reads, so the scan reads the index alone (about half the
time of reading the table on SQLite). On PostgreSQL, when the ``pg_trgm`` extension is
available (a contrib module, "trusted": the database owner may create it), trigram GIN
indexes on name and phone answer the ``LIKE`` without a scan; without it the search
still works, with a scan.
"""

import sqlalchemy as sa
from alembic import op


revision = 'core_0004'
down_revision = 'core_0003'
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = {"ix_core_resident_name_trgm": "name", "ix_core_resident_phone_trgm": "phone"}


def _trigrams_available(bind) -> bool:
    """Whether ``pg_trgm`` is installed, or can be (created here, in a savepoint: a user
    without the right to create it leaves the migration going on without trigrams)."""
    if bind.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")):
        return True
    if not bind.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")):
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return False
    return True


def upgrade():
    op.create_index('ix_core_resident_estate_name_phone', 'core_resident', ['estate_id', 'name', 'phone'],
                    unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and _trigrams_available(bind):
        for name, column in TRIGRAM_INDEXES.items():
            op.create_index(name, 'core_resident', [column], postgresql_using='gin',
                            postgresql_ops={column: 'gin_trgm_ops'})


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index('ix_core_resident_estate_name_phone', table_name='core_resident')

"""repairs list newest first

PostgreSQL only: an index on (reported_at, id) carrying estate_id, so the repair list of
several estates with no filter (the manager's first view) reads the newest rows off the
index instead of sorting every repair. SQLite already reads its (estate, reported_at)
index for that list as fast, so nothing changes there.

Revision ID: repairs_0003
Revises: repairs_0002
Create Date: 2026-11-24 01:30:00
"""

from alembic import op

revision = 'repairs_0003'
down_revision = 'repairs_0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_repairs_repair_reported', 'repairs_repair', ['reported_at', 'id'],
                        postgresql_include=['estate_id'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_repairs_repair_reported', table_name='repairs_repair')

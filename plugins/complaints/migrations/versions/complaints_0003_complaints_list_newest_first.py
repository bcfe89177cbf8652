"""complaints list newest first

PostgreSQL only: an index on (received_at, id) carrying estate_id, so the complaint list
of several estates with no filter reads the newest rows off the index instead of sorting
every complaint (see repairs_0003).

Revision ID: complaints_0003
Revises: complaints_0002
Create Date: 2026-11-24 01:30:00
"""

from alembic import op

revision = 'complaints_0003'
down_revision = 'complaints_0002'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_complaints_complaint_received', 'complaints_complaint', ['received_at', 'id'],
                        postgresql_include=['estate_id'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_complaints_complaint_received', table_name='complaints_complaint')

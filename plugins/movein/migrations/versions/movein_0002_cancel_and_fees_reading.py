"""movein cancel and fees reading

A cancelled case keeps who cancelled it, when and why, and its checklist items are marked
cancelled with it; an acceptance line records the fees plugin's reading its meter figure
became (or why it stayed on the form only). Rows made before this revision: empty.

Revision ID: movein_0002
Revises: movein_0001
Create Date: 2026-12-02 08:00:00
"""

import sqlalchemy as sa
from alembic import op

import core.models.base

revision = 'movein_0002'
down_revision = 'movein_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('movein_case') as batch:
        batch.add_column(sa.Column('cancelled_at', core.models.base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('cancel_reason', sa.String(length=300), nullable=False, server_default=''))
        batch.create_foreign_key(op.f('fk_movein_case_cancelled_by_id_core_user'), 'core_user', ['cancelled_by_id'], ['id'])
    with op.batch_alter_table('movein_item') as batch:
        batch.add_column(sa.Column('cancelled_at', core.models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('movein_check') as batch:
        batch.add_column(sa.Column('fees_reading_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('fees_note', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('movein_check') as batch:
        batch.drop_column('fees_note')
        batch.drop_column('fees_reading_id')
    with op.batch_alter_table('movein_item') as batch:
        batch.drop_column('cancelled_at')
    with op.batch_alter_table('movein_case') as batch:
        batch.drop_constraint(op.f('fk_movein_case_cancelled_by_id_core_user'), type_='foreignkey')
        batch.drop_column('cancel_reason')
        batch.drop_column('cancelled_by_id')
        batch.drop_column('cancelled_at')

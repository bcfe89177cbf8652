"""one-time form keys (core_once_key)

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-02 00:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import core.models.base


revision = 'core_0003'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def upgrade():
    # The unique index on key is what makes a form act once (core.actions.record_action, once=).
    op.create_table('core_once_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('estate_id', sa.Integer(), nullable=True),
    sa.Column('table_name', sa.String(length=80), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', core.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_once_key_user_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_once_key')),
    sa.UniqueConstraint('key', name=op.f('uq_core_once_key_key'))
    )


def downgrade():
    op.drop_table('core_once_key')

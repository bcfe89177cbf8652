"""complaints month figures

The statistics page's figures per estate, time zone, local month, category and department
for months that are over (plugins/complaints/breakdown.py; filled by the
`complaints.month_figures` job): the year's statistics read them instead of summing a year
of complaints.

Revision ID: complaints_0004
Revises: complaints_0003
Create Date: 2026-12-02 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'complaints_0004'
down_revision = 'complaints_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaints_month_figure',
    sa.Column('estate_id', sa.Integer(), nullable=False),
    sa.Column('tz', sa.String(length=64), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('department', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('closed', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('effective', sa.Integer(), nullable=False),
    sa.Column('reply_hours_sum', sa.Float(), nullable=False),
    sa.Column('reply_hours_n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['core_estate.id'],
                            name=op.f('fk_complaints_month_figure_estate_id_core_estate')),
    sa.PrimaryKeyConstraint('estate_id', 'tz', 'month', 'category', 'department',
                            name=op.f('pk_complaints_month_figure'))
    )


def downgrade():
    op.drop_table('complaints_month_figure')

"""greening missed inspections notified

The day up to which the daily job told the estate's inspectors about an area's missed
inspections (once a day, whatever how often the job runs).

Revision ID: greening_0002
Revises: greening_0001
Create Date: 2026-12-02 14:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'greening_0002'
down_revision = 'greening_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('greening_green_area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('missed_notified_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('greening_green_area', schema=None) as batch_op:
        batch_op.drop_column('missed_notified_on')

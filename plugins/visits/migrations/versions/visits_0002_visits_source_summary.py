"""visits source summary

What the repair or complaint was about (its description or content, cut to 200 characters),
copied when the visit is planned so that the visit page says it even with the source plugin
switched off. Visits planned before this revision keep an empty summary.

Revision ID: visits_0002
Revises: visits_0001
Create Date: 2026-12-02 04:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'visits_0002'
down_revision = 'visits_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits_visit') as batch:
        batch.add_column(sa.Column('source_summary', sa.String(length=200), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('visits_visit') as batch:
        batch.drop_column('source_summary')

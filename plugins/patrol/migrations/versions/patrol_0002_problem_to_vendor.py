"""patrol problem to vendor

A problem found on a patrol may become a rectification notice to the vendor holding the
estate's contract of a service kind (vendors plugin): the notice's id and number and the kind are
kept on the problem as plain data. Rows made before this revision: empty.

Revision ID: patrol_0002
Revises: patrol_0001
Create Date: 2026-12-02 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'patrol_0002'
down_revision = 'patrol_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patrol_problem') as batch:
        batch.add_column(sa.Column('rectification_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('rectification_number', sa.String(length=30), nullable=False, server_default=''))
        batch.add_column(sa.Column('service_kind', sa.String(length=20), nullable=False, server_default=''))
        batch.create_index(batch.f('ix_patrol_problem_rectification_id'), ['rectification_id'], unique=False)


def downgrade():
    with op.batch_alter_table('patrol_problem') as batch:
        batch.drop_index(batch.f('ix_patrol_problem_rectification_id'))
        batch.drop_column('service_kind')
        batch.drop_column('rectification_number')
        batch.drop_column('rectification_id')

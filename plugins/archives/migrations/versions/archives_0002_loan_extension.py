"""loan extension

A file that is out may be kept longer with the office manager's agreement (续借): the loan
keeps how many times its return date was moved and why, the last time. The old and new
dates of each extension are in the audit log.

Revision ID: archives_0002
Revises: archives_0001
Create Date: 2026-12-02 18:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'archives_0002'
down_revision = 'archives_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('archives_loan') as batch:
        batch.add_column(sa.Column('extensions', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('extension_note', sa.String(length=500), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('archives_loan') as batch:
        batch.drop_column('extension_note')
        batch.drop_column('extensions')

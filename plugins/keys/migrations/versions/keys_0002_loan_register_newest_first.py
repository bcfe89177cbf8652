"""loan register newest first

The loan register ("all loans", newest first) and the month's printed register read every
loan of the estate and sorted them: with 1,000,000 loans (bench/keys.py) the first page of
one estate's 500,000 took 3 s on SQLite. Now:

- (estate_id, lent_at, id) — one estate's loans newest first, and a month of them, from
  the index;
- (lent_at, id) — several estates' loans newest first (PostgreSQL: carrying estate_id),
  read backwards off the index instead of sorting every loan.

"Out now" needs neither: its count reads ix_keys_loan_estate_open_due alone and it sorts
only the open loans (a few hundred).

Revision ID: keys_0002
Revises: keys_0001
Create Date: 2026-12-02 04:30:00
"""

from alembic import op

revision = 'keys_0002'
down_revision = 'keys_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_keys_loan_estate_lent', 'keys_loan', ['estate_id', 'lent_at', 'id'])
    op.create_index('ix_keys_loan_lent', 'keys_loan', ['lent_at', 'id'], postgresql_include=['estate_id'])


def downgrade():
    op.drop_index('ix_keys_loan_lent', table_name='keys_loan')
    op.drop_index('ix_keys_loan_estate_lent', table_name='keys_loan')

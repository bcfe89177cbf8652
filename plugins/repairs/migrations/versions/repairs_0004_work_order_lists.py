"""work order lists

The work-order list (open orders by due time, or all of them newest first) read every
order of the user's estates: 160 ms on PostgreSQL and 840 ms on SQLite with 940,000
orders. Now:

- (estate_id, state, due_at) — open orders, soonest due first; on PostgreSQL carrying
  id, so the count and the page of ids read the index alone;
- (estate_id, issued_at) — one estate's orders newest first;
- PostgreSQL only: (issued_at, id) carrying estate_id, so "all orders" of several
  estates reads the newest off the index backwards instead of sorting every order (as
  repairs_0003 does for repairs).

Revision ID: repairs_0004
Revises: repairs_0003
Create Date: 2026-11-24 03:10:00
"""

from alembic import op

revision = 'repairs_0004'
down_revision = 'repairs_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_repairs_work_order_estate_state_due', 'repairs_work_order',
                    ['estate_id', 'state', 'due_at'], postgresql_include=['id'])
    op.create_index('ix_repairs_work_order_estate_issued', 'repairs_work_order', ['estate_id', 'issued_at'])
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_repairs_work_order_issued', 'repairs_work_order', ['issued_at', 'id'],
                        postgresql_include=['estate_id'])


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_repairs_work_order_issued', table_name='repairs_work_order')
    op.drop_index('ix_repairs_work_order_estate_issued', table_name='repairs_work_order')
    op.drop_index('ix_repairs_work_order_estate_state_due', table_name='repairs_work_order')

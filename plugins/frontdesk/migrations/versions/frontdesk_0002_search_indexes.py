"""search indexes

The global search looks up a parcel by its carrier's tracking number and a goods-out pass
by its vehicle plate (exact matches) on every query: without an index each was a scan of
every parcel or pass of the estates. (Pass, parcel and vehicle-pass numbers are unique,
so indexed already; vehicle passes have ix_frontdesk_vehicle_pass_plate.)

Revision ID: frontdesk_0002
Revises: frontdesk_0001
Create Date: 2026-12-02 18:20:00
"""

from alembic import op

revision = 'frontdesk_0002'
down_revision = 'frontdesk_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_frontdesk_parcel_estate_tracking', 'frontdesk_parcel', ['estate_id', 'tracking_number'])
    op.create_index('ix_frontdesk_pass_estate_plate', 'frontdesk_pass', ['estate_id', 'vehicle_plate'])


def downgrade():
    op.drop_index('ix_frontdesk_pass_estate_plate', table_name='frontdesk_pass')
    op.drop_index('ix_frontdesk_parcel_estate_tracking', table_name='frontdesk_parcel')

"""inventory exact numbers

On SQLite, quantities and money of the store room are stored as whole thousandths and whole
cents (BIGINT, ``plugins.inventory.models.Scaled``) instead of NUMERIC, which SQLite keeps as
floats: sums in SQL become exact, and reading them back is cheap. Existing rows are converted
(rounded to the column's places, as NUMERIC(14, 3) / (14, 2) meant them); the CHECK constraints
(on hand, value and minimum not negative, quantity not zero) and the indexes are kept.
PostgreSQL keeps NUMERIC, exact there: nothing to do.

Revision ID: inventory_0002
Revises: inventory_0001
Create Date: 2026-12-02 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'inventory_0002'
down_revision = 'inventory_0001'
branch_labels = None
depends_on = None

#: table: (column, decimal places, nullable)
COLUMNS = {
    'inventory_item': [('min_stock', 3, False), ('on_hand', 3, False), ('stock_value', 2, False),
                       ('last_cost', 2, True)],
    'inventory_movement': [('quantity', 3, False), ('value', 2, False), ('unit_cost', 2, False),
                           ('on_hand_after', 3, False)],
    'inventory_count_line': [('book', 3, False), ('counted', 3, True)],
}


def _convert_sqlite(scale_up: bool):
    """SQLite changes a column's type only by rebuilding the table (batch mode: copy, drop,
    rename), and dropping a table that other rows point to fails while foreign keys are enforced
    — which can be switched off only between transactions (SQLite's own procedure for this). So:
    commit what came before, foreign keys off, each table rescaled and rebuilt in a transaction of
    its own (skipped when it already has the new type, so a run cut short can be run again),
    ``foreign_key_check``, foreign keys on again."""
    conn = op.get_bind()
    began = conn.connection.dbapi_connection.in_transaction
    if began:
        conn.exec_driver_sql('COMMIT')
    conn.exec_driver_sql('PRAGMA foreign_keys = OFF')
    try:
        for table, columns in COLUMNS.items():
            declared = {r[1]: r[2].upper() for r in conn.exec_driver_sql(f'PRAGMA table_info({table})')}
            if declared[columns[0][0]].startswith('BIGINT') == scale_up:
                continue
            conn.exec_driver_sql('BEGIN IMMEDIATE')
            if scale_up:  # an integer stays an integer under NUMERIC affinity; the copy CASTs it
                conn.exec_driver_sql(f'UPDATE {table} SET ' + ', '.join(
                    f'{name} = CAST(ROUND({name} * {10 ** places}) AS INTEGER)' for name, places, _ in columns))
            with op.batch_alter_table(table, recreate='always') as batch:
                for name, places, nullable in columns:
                    batch.alter_column(name, type_=sa.BigInteger() if scale_up else sa.Numeric(14, places),
                                       existing_type=sa.Numeric(14, places) if scale_up else sa.BigInteger(),
                                       existing_nullable=nullable)
            if not scale_up:
                conn.exec_driver_sql(f'UPDATE {table} SET ' + ', '.join(
                    f'{name} = ROUND({name} / {float(10 ** places)}, {places})' for name, places, _ in columns))
            broken = conn.exec_driver_sql(f'PRAGMA foreign_key_check({table})').fetchall()
            if broken:
                conn.exec_driver_sql('ROLLBACK')
                raise RuntimeError(f'{table}: rows pointing nowhere after the rebuild: {broken[:5]}')
            conn.exec_driver_sql('COMMIT')
    finally:
        conn.exec_driver_sql('PRAGMA foreign_keys = ON')
        if began:  # Alembic goes on in the transaction it had begun
            conn.exec_driver_sql('BEGIN')


def _convert(scale_up: bool):
    if op.get_bind().dialect.name != 'sqlite':
        return
    _convert_sqlite(scale_up)
    # A rebuilt table has lost its planner statistics: without them SQLite read the 500,000
    # movements of a store ten times slower.
    for table in COLUMNS:
        op.execute(f'ANALYZE {table}')


def upgrade():
    _convert(scale_up=True)


def downgrade():
    _convert(scale_up=False)

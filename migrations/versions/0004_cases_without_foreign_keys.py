"""cases reference patients and uploads without foreign keys

The two per-row foreign-key checks of ``cases`` were half of the warehouse load time (bench/bench_ingest.py).
Integrity is kept by the only writer and the only deleter instead: ``app.warehouse.loader`` references the
patients it has just merged and its own upload under a shared advisory lock, and
``app.warehouse.service.delete_upload`` removes cases and orphaned patients under the same lock, exclusively.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_patient_id_patients', type_='foreignkey')
        batch_op.drop_constraint('fk_cases_upload_id_uploads', type_='foreignkey')


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_cases_upload_id_uploads', 'uploads', ['upload_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key('fk_cases_patient_id_patients', 'patients', ['patient_id'], ['id'],
                                    ondelete='CASCADE')

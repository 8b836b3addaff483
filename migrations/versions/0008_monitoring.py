"""monitoring runs, alerts and thresholds

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:35:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'monitoring_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=True),
        sa.Column('window_end', sa.DateTime(timezone=True), nullable=True),
        sa.Column('n_predictions', sa.Integer(), nullable=False),
        sa.Column('n_confirmed', sa.Integer(), nullable=False),
        sa.Column('mean_latency_ms', sa.Double(), nullable=True),
        sa.Column('p95_latency_ms', sa.Double(), nullable=True),
        sa.Column('model_version', sa.String(length=64), nullable=False),
        sa.Column('reference_snapshot', sa.String(length=64), nullable=False),
        sa.Column('n_reference', sa.Integer(), nullable=False),
        sa.Column('drift', sa.JSON(), nullable=True),
        sa.Column('performance', sa.JSON(), nullable=True),
        sa.Column('unmapped', sa.JSON(), nullable=True),
        sa.Column('decision', sa.JSON(), nullable=False),
        sa.Column('retraining_run_id', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['retraining_run_id'], ['training_runs.id'],
                                name=op.f('fk_monitoring_runs_retraining_run_id_training_runs'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_runs')),
    )
    with op.batch_alter_table('monitoring_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_runs_created_at'), ['created_at'], unique=False)
    op.create_table(
        'monitoring_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('training_run_id', sa.Integer(), nullable=True),
        sa.Column('webhook_status', sa.String(length=64), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['monitoring_runs.id'],
                                name=op.f('fk_monitoring_alerts_run_id_monitoring_runs'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['training_run_id'], ['training_runs.id'],
                                name=op.f('fk_monitoring_alerts_training_run_id_training_runs'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'],
                                name=op.f('fk_monitoring_alerts_acknowledged_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_alerts')),
    )
    with op.batch_alter_table('monitoring_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_alerts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_alerts_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitoring_alerts_severity'), ['severity'], unique=False)
    op.create_table(
        'monitoring_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('thresholds', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_monitoring_settings_updated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_settings')),
    )


def downgrade():
    op.drop_table('monitoring_settings')
    with op.batch_alter_table('monitoring_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_alerts_severity'))
        batch_op.drop_index(batch_op.f('ix_monitoring_alerts_run_id'))
        batch_op.drop_index(batch_op.f('ix_monitoring_alerts_created_at'))
    op.drop_table('monitoring_alerts')
    with op.batch_alter_table('monitoring_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_runs_created_at'))
    op.drop_table('monitoring_runs')

"""training runs and the model registry

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'training_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('config', sa.JSON(), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=200), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('units_total', sa.Integer(), nullable=False),
        sa.Column('units_done', sa.Integer(), nullable=False),
        sa.Column('metrics', sa.JSON(), nullable=True),
        sa.Column('snapshot_id', sa.String(length=64), nullable=True),
        sa.Column('code_version', sa.String(length=64), nullable=False),
        sa.Column('duration_s', sa.Double(), nullable=True),
        sa.Column('artifacts', sa.JSON(), nullable=False),
        sa.Column('job_ids', sa.JSON(), nullable=False),
        sa.Column('mlflow_run_id', sa.String(length=64), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('launched_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['launched_by_id'], ['users.id'], name=op.f('fk_training_runs_launched_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_runs')),
    )
    with op.batch_alter_table('training_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_runs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_runs_created_at'), ['created_at'], unique=False)
    op.create_table(
        'model_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=True),
        sa.Column('metrics', sa.JSON(), nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.Column('storage_key', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('signature', sa.String(length=64), nullable=False),
        sa.Column('alias', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('promoted_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['training_runs.id'], name=op.f('fk_model_versions_run_id_training_runs'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['promoted_by_id'], ['users.id'], name=op.f('fk_model_versions_promoted_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
        sa.UniqueConstraint('version', name=op.f('uq_model_versions_version')),
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_versions_alias'), ['alias'], unique=False)


def downgrade():
    op.drop_table('model_versions')
    op.drop_table('training_runs')

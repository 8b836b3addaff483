"""predictions, prediction_feedback and api_tokens

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:15:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'predictions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_pseudonym', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('outputs', sa.JSON(), nullable=False),
        sa.Column('model_version', sa.String(length=64), nullable=False),
        sa.Column('kb_version', sa.String(length=80), nullable=False),
        sa.Column('latency_ms', sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_predictions')),
    )
    with op.batch_alter_table('predictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_predictions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_predictions_user_pseudonym'), ['user_pseudonym'], unique=False)
    op.create_table(
        'prediction_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('prediction_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_pseudonym', sa.String(length=64), nullable=False),
        sa.Column('diagnoses', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['prediction_id'], ['predictions.id'],
                                name=op.f('fk_prediction_feedback_prediction_id_predictions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_prediction_feedback')),
    )
    with op.batch_alter_table('prediction_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prediction_feedback_prediction_id'), ['prediction_id'], unique=False)
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('prefix', sa.String(length=12), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('api_tokens')
    op.drop_table('prediction_feedback')
    op.drop_table('predictions')

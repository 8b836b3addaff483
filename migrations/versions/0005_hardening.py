"""hardening: login throttling per e-mail, session versions, one active upload per file

* ``login_throttles``: failed logins counted per e-mail whether or not an account has it (it replaces
  ``users.failed_logins`` and ``users.locked_until``, which only counted known accounts and so told them apart).
* ``users.session_version``: carried by every session cookie and bumped at logout, so an earlier cookie is refused.
* ``uq_uploads_file_sha256_blocking``: a partial unique index, so two simultaneous uploads of the same file cannot
  both be accepted. The upgrade stops, naming them, if uploads already hold the same file.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BLOCKING = "status IN ('pending', 'queued', 'running', 'loaded')"


def upgrade():
    op.create_table('login_throttles',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_throttles'))
    )
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttles_last_failure_at'), ['last_failure_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')

    duplicates = op.get_bind().execute(sa.text(
        f"SELECT file_sha256, COUNT(*) FROM uploads WHERE {BLOCKING} GROUP BY file_sha256 HAVING COUNT(*) > 1"
    )).all()
    if duplicates:
        raise RuntimeError(
            f"{len(duplicates)} file(s) were loaded more than once (e.g. sha256 {duplicates[0][0]}); delete the later "
            "upload of each (admin › Uploads) and run the upgrade again."
        )
    op.create_index('uq_uploads_file_sha256_blocking', 'uploads', ['file_sha256'], unique=True,
                    postgresql_where=sa.text(BLOCKING), sqlite_where=sa.text(BLOCKING))


def downgrade():
    op.drop_index('uq_uploads_file_sha256_blocking', table_name='uploads',
                  postgresql_where=sa.text(BLOCKING), sqlite_where=sa.text(BLOCKING))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('session_version')

    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttles_last_failure_at'))

    op.drop_table('login_throttles')

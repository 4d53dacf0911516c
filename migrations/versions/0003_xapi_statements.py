"""xAPI: stored statements, catalog activity IRIs, users' mbox_sha1sum

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 15:40:00

"""
import hashlib

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import app.models.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

CATALOG_TABLES = ('courses', 'units', 'modules', 'assessments')
UNSETTLED = sa.text("state <> 'settled'")


def upgrade():
    op.create_table(
        'xapi_statements',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('body', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                  nullable=False),
        sa.Column('body_hash', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=120), nullable=False),
        sa.Column('actor_key', sa.String(length=300), nullable=True),
        sa.Column('activity_iri', sa.String(length=2048), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('progress_event_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=True),
        sa.Column('stored_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['progress_event_id'], ['progress_events.id'],
                                name=op.f('fk_xapi_statements_progress_event_id_progress_events'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_xapi_statements')),
    )
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.create_index('ix_xapi_statements_waiting_activity', ['activity_iri'],
                              postgresql_where=UNSETTLED, sqlite_where=UNSETTLED)
        batch_op.create_index('ix_xapi_statements_waiting_actor', ['actor_key'],
                              postgresql_where=UNSETTLED, sqlite_where=UNSETTLED)
    for table in CATALOG_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('activity_id', sa.String(length=2048), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_activity_id'), ['activity_id'],
                                  unique=True)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mbox_sha1sum', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_mbox_sha1sum'), ['mbox_sha1sum'],
                              unique=False)
    _fill_mbox_sha1sum()


def _fill_mbox_sha1sum():
    """Learners that exist already become findable by xAPI's mbox_sha1sum too."""
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('email', sa.String),
                     sa.column('mbox_sha1sum', sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email)).all()
    for user_id, email in rows:
        digest = hashlib.sha1(f'mailto:{email}'.encode()).hexdigest()
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(mbox_sha1sum=digest))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_mbox_sha1sum'))
        batch_op.drop_column('mbox_sha1sum')
    for table in CATALOG_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_activity_id'))
            batch_op.drop_column('activity_id')
    op.drop_table('xapi_statements')

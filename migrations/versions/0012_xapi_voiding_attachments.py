"""xAPI: voided statements, attachments stored by hash, the keys statement queries filter on

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

import app.models.types
from app.domain.xapi_keys import statement_keys

BATCH = 1000

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_by', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_xapi_statements_stored', ['stored_at', 'id'])
    op.create_table(
        'xapi_attachments',
        sa.Column('sha2', sa.String(length=128), nullable=False),
        sa.Column('content_type', sa.String(length=255), nullable=False),
        sa.Column('length', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('stored_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha2', name=op.f('pk_xapi_attachments')),
    )
    op.create_table(
        'xapi_statement_keys',
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['statement_id'], ['xapi_statements.id'],
                                name=op.f('fk_xapi_statement_keys_statement_id_xapi_statements'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('statement_id', 'key', name=op.f('pk_xapi_statement_keys')),
    )
    op.create_index('ix_xapi_statement_keys_key', 'xapi_statement_keys', ['key', 'statement_id'])
    _fill_keys()


def _fill_keys():
    """Statements stored before this revision are found by queries too."""
    statements = sa.table('xapi_statements', sa.column('id', sa.String),
                          sa.column('body', sa.JSON))
    keys = sa.table('xapi_statement_keys', sa.column('statement_id', sa.String),
                    sa.column('key', sa.String))
    connection = op.get_bind()
    after = ''
    while True:
        rows = connection.execute(sa.select(statements.c.id, statements.c.body)
                                  .where(statements.c.id > after)
                                  .order_by(statements.c.id).limit(BATCH)).all()
        if not rows:
            return
        found = [{'statement_id': ident, 'key': key} for ident, body in rows
                 for key in statement_keys(json.loads(body) if isinstance(body, str) else body)]
        if found:
            connection.execute(keys.insert(), found)
        after = rows[-1][0]


def downgrade():
    op.drop_index('ix_xapi_statement_keys_key', table_name='xapi_statement_keys')
    op.drop_table('xapi_statement_keys')
    op.drop_table('xapi_attachments')
    with op.batch_alter_table('xapi_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_xapi_statements_stored')
        batch_op.drop_column('voided_by')

"""Open Badges: achievements.public_id and public, and the signing_keys table

Every award gets an unguessable public id (UUID), existing ones included, and
is private until its learner shares it. signing_keys holds the keys that sign
Open Badges 3.0 credentials (old ones stay, so old credentials stay verifiable).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 15:40:00

"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('achievements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _fill_public_ids()
    with op.batch_alter_table('achievements', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint('uq_achievements_public_id', ['public_id'])
    op.create_table(
        'signing_keys',
        sa.Column('kid', sa.String(length=64), nullable=False),
        sa.Column('private_pem', sa.LargeBinary(), nullable=True),
        sa.Column('public_jwk', sa.JSON().with_variant(
            sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('kid'),
    )


def _fill_public_ids():
    """Existing rows get one now; on PostgreSQL a column default also covers inserts that
    name no public_id (a COPY, an operator's script); the app's insert paths always do."""
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("UPDATE achievements SET public_id = gen_random_uuid()::text")
        op.execute("ALTER TABLE achievements ALTER COLUMN public_id "
                   "SET DEFAULT gen_random_uuid()::text")
        return
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM achievements"))]
    for award_id in ids:
        bind.execute(sa.text("UPDATE achievements SET public_id = :p WHERE id = :i"),
                     {"p": str(uuid.uuid4()), "i": award_id})


def downgrade():
    op.drop_table('signing_keys')
    with op.batch_alter_table('achievements', schema=None) as batch_op:
        batch_op.drop_constraint('uq_achievements_public_id', type_='unique')
        batch_op.drop_column('public')
        batch_op.drop_column('public_id')

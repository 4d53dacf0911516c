"""Sign-in identities: (provider, subject) -> one user (OpenID Connect, SAML, LTI)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 04:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_WHEN = app.models.types.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        'identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.Column('last_seen_at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('provider', 'subject', name='uq_identities_provider'),
    )
    op.create_index(op.f('ix_identities_user_id'), 'identities', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_identities_user_id'), table_name='identities')
    op.drop_table('identities')

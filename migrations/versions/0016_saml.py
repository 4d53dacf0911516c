"""SAML sign-in: the service provider's key pair, the requests awaiting an answer

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:30:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_WHEN = app.models.types.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        'saml_sp_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_pem', sa.Text(), nullable=False),
        sa.Column('cert_pem', sa.Text(), nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'saml_requests',
        sa.Column('request_id', sa.String(length=100), nullable=False),
        sa.Column('next_url', sa.String(length=2000), nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('request_id'),
    )
    op.create_index(op.f('ix_saml_requests_created_at'), 'saml_requests', ['created_at'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_saml_requests_created_at'), table_name='saml_requests')
    op.drop_table('saml_requests')
    op.drop_table('saml_sp_keys')

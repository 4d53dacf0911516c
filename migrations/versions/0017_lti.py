"""LTI 1.3: platforms, deployments, the tool's keys, LMS contexts, used nonces;
enrollments.active (false once an LMS roster no longer lists the person)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_WHEN = app.models.types.UTCDateTime(timezone=True)
_URL = sa.String(length=2000)


def upgrade():
    op.create_table(
        'lti_platforms',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('client_id', sa.String(length=255), nullable=False),
        sa.Column('auth_login_url', _URL, nullable=False),
        sa.Column('auth_token_url', _URL, nullable=False),
        sa.Column('auth_audience', _URL, nullable=True),
        sa.Column('jwks_url', _URL, nullable=False),
        sa.Column('trusted_email', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('status', sa.String(length=10), server_default='active', nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('issuer', 'client_id', name='uq_lti_platforms_client'),
    )
    op.create_table(
        'lti_deployments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('deployment_id', sa.String(length=255), nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform_id', 'deployment_id', name='uq_lti_deployments_platform'),
    )
    op.create_table(
        'lti_keys',
        sa.Column('kid', sa.String(length=64), nullable=False),
        sa.Column('private_pem', sa.LargeBinary(), nullable=True),
        sa.Column('public_jwk', app.models.types.JSONType, nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('kid'),
    )
    op.create_table(
        'lti_contexts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('context_id', sa.String(length=255), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=True),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('context_memberships_url', _URL, nullable=True),
        sa.Column('lineitems_url', _URL, nullable=True),
        sa.Column('lineitem_url', _URL, nullable=True),
        sa.Column('roster_synced_at', _WHEN, nullable=True),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['platform_id'], ['lti_platforms.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform_id', 'context_id', name='uq_lti_contexts_platform'),
    )
    op.create_index(op.f('ix_lti_contexts_course_id'), 'lti_contexts', ['course_id'],
                    unique=False)
    op.create_table(
        'lti_nonces',
        sa.Column('nonce', sa.String(length=128), nullable=False),
        sa.Column('expires_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('nonce'),
    )
    op.create_index(op.f('ix_lti_nonces_expires_at'), 'lti_nonces', ['expires_at'],
                    unique=False)
    with op.batch_alter_table('enrollments') as batch:
        batch.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(),
                                   nullable=False))


def downgrade():
    with op.batch_alter_table('enrollments') as batch:
        batch.drop_column('active')
    op.drop_index(op.f('ix_lti_nonces_expires_at'), table_name='lti_nonces')
    op.drop_table('lti_nonces')
    op.drop_index(op.f('ix_lti_contexts_course_id'), table_name='lti_contexts')
    op.drop_table('lti_contexts')
    op.drop_table('lti_keys')
    op.drop_table('lti_deployments')
    op.drop_table('lti_platforms')

"""Author-defined badges: badges and their versions

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 16:05:00

"""
import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'badges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('published_version', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badges')),
        sa.UniqueConstraint('key', name=op.f('uq_badges_key')),
    )
    op.create_table(
        'badge_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('badge_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('criteria', JSON, nullable=False),
        sa.Column('hidden', sa.Boolean(), nullable=False),
        sa.Column('expires_after_days', sa.Integer(), nullable=True),
        sa.Column('image', JSON, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['badge_id'], ['badges.id'],
                                name=op.f('fk_badge_versions_badge_id_badges')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_versions')),
        sa.UniqueConstraint('badge_id', 'version', name='uq_badge_versions_version'),
    )
    op.create_index(op.f('ix_badge_versions_badge_id'), 'badge_versions', ['badge_id'])


def downgrade():
    op.drop_index(op.f('ix_badge_versions_badge_id'), table_name='badge_versions')
    op.drop_table('badge_versions')
    op.drop_table('badges')

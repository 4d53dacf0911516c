"""badge_jobs: badge operations too large for one request (award a long list, publish with
a backfill, count who would earn it), run by a worker with their progress and result

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'badge_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('badge_key', sa.String(length=80), nullable=False),
        sa.Column('params', JSON, nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('result', JSON, nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_badge_jobs_badge_key', 'badge_jobs', ['badge_key', 'id'])
    op.create_index('ix_badge_jobs_status_updated', 'badge_jobs', ['status', 'updated_at'])


def downgrade():
    op.drop_index('ix_badge_jobs_status_updated', table_name='badge_jobs')
    op.drop_index('ix_badge_jobs_badge_key', table_name='badge_jobs')
    op.drop_table('badge_jobs')

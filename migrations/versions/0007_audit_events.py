"""audit_events: who revoked, restored or authored what, when and why

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 17:00:00

"""
import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('target_type', sa.String(length=40), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('details', JSON, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    )
    op.create_index('ix_audit_events_action_id', 'audit_events', ['action', 'id'])
    op.create_index('ix_audit_events_target', 'audit_events', ['target_type', 'target'])


def downgrade():
    op.drop_index('ix_audit_events_target', table_name='audit_events')
    op.drop_index('ix_audit_events_action_id', table_name='audit_events')
    op.drop_table('audit_events')

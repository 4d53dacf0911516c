"""progress_events.request_id: the id of the call that recorded the event, so the worker's
log lines about it and its awards carry the same id as the request's (null: recorded
before this column, or by a process outside any request)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 18:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.drop_column('request_id')

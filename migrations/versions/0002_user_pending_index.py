"""progress_events: partial index of each learner's unprocessed events

Every detection task asks whether its learner has any event pending
(app.infra.gate: a task evaluates its learner, not just its own event).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 20:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.create_index('ix_progress_events_user_pending', ['user_id'], unique=False,
                              postgresql_where=sa.text('processed_at IS NULL'),
                              sqlite_where=sa.text('processed_at IS NULL'))


def downgrade():
    with op.batch_alter_table('progress_events', schema=None) as batch_op:
        batch_op.drop_index('ix_progress_events_user_pending')

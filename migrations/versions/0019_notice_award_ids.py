"""Award notices: one row per learner per detection pass, naming every award that pass
stored for the learner (``award_ids``), instead of one row per award

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('award_ids', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('award_ids')

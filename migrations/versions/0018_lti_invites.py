"""LTI registration invitations: the platform a Dynamic Registration invite registered
names the invite (its random id), so the invite works once

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lti_platforms') as batch:
        batch.add_column(sa.Column('invite_id', sa.String(length=32), nullable=True))
        batch.create_unique_constraint('uq_lti_platforms_invite', ['invite_id'])


def downgrade():
    with op.batch_alter_table('lti_platforms') as batch:
        batch.drop_constraint('uq_lti_platforms_invite', type_='unique')
        batch.drop_column('invite_id')

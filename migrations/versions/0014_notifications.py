"""Notifications: the outbox of emails and pushes, learners' switches, push subscriptions,
the VAPID key pair

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None

_WHEN = app.models.types.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('cause', sa.String(length=120), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('due_at', _WHEN, nullable=False),
        sa.Column('lease_until', _WHEN, nullable=True),
        sa.Column('claim', sa.String(length=36), nullable=True),
        sa.Column('message_id', sa.String(length=200), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.Column('sent_at', _WHEN, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('cause', 'channel', 'user_id', name='uq_notifications_cause'),
    )
    op.create_index('ix_notifications_due', 'notifications', ['status', 'due_at'])
    op.create_index('ix_notifications_user', 'notifications', ['user_id', 'status'])
    op.create_table(
        'notification_switches',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_notification_switches_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'category', 'channel',
                                name=op.f('pk_notification_switches')),
    )
    op.create_table(
        'push_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.String(length=1000), nullable=False),
        sa.Column('p256dh', sa.String(length=200), nullable=False),
        sa.Column('auth', sa.String(length=100), nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_push_subscriptions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
        sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint')),
    )
    op.create_index(op.f('ix_push_subscriptions_user_id'), 'push_subscriptions', ['user_id'])
    op.create_table(
        'vapid_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('private_pem', sa.LargeBinary(), nullable=False),
        sa.Column('public_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', _WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vapid_keys')),
    )


def downgrade():
    op.drop_table('vapid_keys')
    op.drop_index(op.f('ix_push_subscriptions_user_id'), table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
    op.drop_table('notification_switches')
    op.drop_index('ix_notifications_user', table_name='notifications')
    op.drop_index('ix_notifications_due', table_name='notifications')
    op.drop_table('notifications')

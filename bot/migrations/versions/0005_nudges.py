"""scheduled nudges: subscriptions (plan, next slot, lease) and the delivery ledger

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _owner(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], ondelete="CASCADE", name=f"fk_{table}_user_id"
    )


def upgrade() -> None:
    op.create_table(
        "nudge_subscriptions",
        sa.Column("user_id", Id, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("at_minute", sa.SmallInteger, nullable=False),
        sa.Column("evening_minute", sa.SmallInteger),
        sa.Column("weekdays_only", sa.Boolean, nullable=False),
        sa.Column("every", sa.SmallInteger, nullable=False),
        sa.Column("quiet_start", sa.SmallInteger),
        sa.Column("quiet_end", sa.SmallInteger),
        sa.Column("paused_until", sa.Date),
        sa.Column("last_nudge_on", sa.Date),
        sa.Column("checked_until", When, nullable=False),
        sa.Column("unanswered", sa.SmallInteger, nullable=False),
        sa.Column("next_due_at", When),
        sa.Column("next_kind", sa.String(12)),
        sa.Column("next_on", sa.Date),
        sa.Column("attempts", sa.SmallInteger, nullable=False),
        sa.Column("lease_owner", sa.String(32)),
        sa.Column("lease_until", When),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_nudge_subscriptions"),
        _owner("nudge_subscriptions"),
    )
    op.create_index("ix_nudge_subscriptions_next_due_at", "nudge_subscriptions", ["next_due_at"])
    op.create_table(
        "nudge_deliveries",
        sa.Column("user_id", Id, nullable=False),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.SmallInteger, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("sent_at", When),
        sa.PrimaryKeyConstraint("user_id", "local_date", "kind", name="pk_nudge_deliveries"),
        _owner("nudge_deliveries"),
    )
    op.create_index("ix_nudge_deliveries_local_date", "nudge_deliveries", ["local_date"])


def downgrade() -> None:
    op.drop_index("ix_nudge_deliveries_local_date", table_name="nudge_deliveries")
    op.drop_table("nudge_deliveries")
    op.drop_index("ix_nudge_subscriptions_next_due_at", table_name="nudge_subscriptions")
    op.drop_table("nudge_subscriptions")

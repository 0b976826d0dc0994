"""weekly summary: the opt-in and its day of the week, kept in the nudges subscription; the
periods nudges were paused (for check-in streaks)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Server defaults, so subscriptions made before this revision read as "off, Sunday".
    with op.batch_alter_table("nudge_subscriptions") as batch:
        batch.add_column(
            sa.Column("weekly_summary", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("weekly_day", sa.SmallInteger, nullable=False, server_default="6")
        )
    op.create_table(
        "nudge_pauses",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nudge_pauses"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_nudge_pauses_user_id"
        ),
    )
    op.create_index("ix_nudge_pauses_user_id", "nudge_pauses", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_nudge_pauses_user_id", table_name="nudge_pauses")
    op.drop_table("nudge_pauses")
    with op.batch_alter_table("nudge_subscriptions") as batch:
        batch.drop_column("weekly_day")
        batch.drop_column("weekly_summary")

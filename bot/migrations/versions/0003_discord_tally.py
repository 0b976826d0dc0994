"""Discord: server tally channels, tally opt-ins, digest of the last command sync

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "discord_tally_channels",
        sa.Column("guild_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("posted_at", When),
        sa.PrimaryKeyConstraint("guild_id", name="pk_discord_tally_channels"),
    )
    op.create_table(
        "discord_tally_members",
        sa.Column("guild_id", sa.String(32), nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("joined_at", When, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name="pk_discord_tally_members"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_discord_tally_members_user_id"
        ),
    )
    op.create_index("ix_discord_tally_members_user_id", "discord_tally_members", ["user_id"])
    op.create_table(
        "discord_command_syncs",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("synced_at", When, nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_discord_command_syncs"),
    )


def downgrade() -> None:
    op.drop_table("discord_command_syncs")
    op.drop_index("ix_discord_tally_members_user_id", table_name="discord_tally_members")
    op.drop_table("discord_tally_members")
    op.drop_table("discord_tally_channels")

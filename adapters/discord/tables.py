"""Tables the Discord adapter owns, declared on the core metadata so one set of Alembic
migrations (0003_discord_tally) covers them. Imports nothing from discord.py: the core
schema module imports this one, so the migration check sees these tables."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table

from bot.store.schema import Id, When, metadata

# Where a server's weekly tally goes; one row per server that a manager opted in.
tally_channels = Table(
    "discord_tally_channels",
    metadata,
    Column("guild_id", String(32), primary_key=True),
    Column("channel_id", String(32), nullable=False),
    Column("created_at", When, nullable=False),
    Column("posted_at", When),
)

# Members who agreed to be counted in a server's tally. Keyed to the user (ON DELETE
# CASCADE) like every table that holds user data, so deleting a user removes the opt-in.
tally_members = Table(
    "discord_tally_members",
    metadata,
    Column("guild_id", String(32), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("joined_at", When, nullable=False),
    Index("ix_discord_tally_members_user_id", "user_id"),
)

# The digest of the command set last synced per application and scope, so a start syncs
# only when the commands changed (Discord rate-limits command registration).
command_syncs = Table(
    "discord_command_syncs",
    metadata,
    Column("scope", String(64), primary_key=True),  # "<application id>:global" or ":<guild>"
    Column("digest", String(64), nullable=False),
    Column("synced_at", When, nullable=False),
)

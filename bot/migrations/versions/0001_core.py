"""core tables: users, sessions, journal, problems, steps, inbound

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(16)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("platform", "external_id", name="uq_users_platform"),
    )
    op.create_table(
        "sessions",
        sa.Column("user_id", Id, nullable=False),
        sa.Column("dialog", sa.String(32)),
        sa.Column("state", sa.String(48)),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_sessions_user_id"
        ),
    )
    op.create_table(
        "journal",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("flow", sa.String(32), nullable=False),
        sa.Column("field", sa.String(48), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journal"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_journal_user_id"
        ),
    )
    op.create_index("ix_journal_user_id", "journal", ["user_id", "created_at"])
    op.create_table(
        "problems",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("done_at", When),
        sa.PrimaryKeyConstraint("id", name="pk_problems"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_problems_user_id"
        ),
    )
    op.create_index("ix_problems_user_id", "problems", ["user_id"])
    op.create_table(
        "steps",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("problem_id", Id, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("done_at", When),
        sa.PrimaryKeyConstraint("id", name="pk_steps"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_steps_user_id"
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], ondelete="CASCADE", name="fk_steps_problem_id"
        ),
    )
    op.create_index("ix_steps_user_id", "steps", ["user_id", "done_at"])
    op.create_table(
        "inbound",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("update_id", sa.String(64), nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("platform", "update_id", name="pk_inbound"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_inbound_user_id"
        ),
    )
    op.create_index("ix_inbound_user_id", "inbound", ["user_id"])


def downgrade() -> None:
    for table in ("inbound", "steps", "problems", "journal", "sessions", "users"):
        op.drop_table(table)

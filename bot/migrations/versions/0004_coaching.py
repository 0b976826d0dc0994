"""coaching records: moods, goals, predictions, strengths, ratings, outreach

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _table(name: str, *columns: sa.Column, index: tuple[str, ...] = ("user_id",)) -> None:
    op.create_table(
        name,
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name=f"fk_{name}_user_id"
        ),
    )
    op.create_index(f"ix_{name}_user_id", name, list(index))


def upgrade() -> None:
    _table(
        "moods",
        sa.Column("mood", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", When, nullable=False),
        index=("user_id", "created_at"),
    )
    _table(
        "goals",
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("outcome", sa.String(16)),
        index=("user_id", "created_at"),
    )
    _table(
        "predictions",
        sa.Column("fear", sa.Text, nullable=False),
        sa.Column("check_at", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("resolved_at", When),
        index=("user_id", "check_at"),
    )
    _table(
        "strengths",
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    _table(
        "ratings",
        sa.Column("strategy", sa.String(32), nullable=False),
        sa.Column("before", sa.Integer, nullable=False),
        sa.Column("after", sa.Integer, nullable=False),
        sa.Column("created_at", When, nullable=False),
    )
    _table(
        "outreach",
        sa.Column("person", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("outcome", sa.String(16)),
    )


def downgrade() -> None:
    for name in ("outreach", "ratings", "strengths", "predictions", "goals", "moods"):
        op.drop_table(name)

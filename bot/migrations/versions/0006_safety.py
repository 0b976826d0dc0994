"""safety: the user's country (for helplines), a hold on nudges after a crisis message, and
anonymous crisis counts for audit

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("country", sa.String(8)))
        batch.add_column(sa.Column("hold_nudges_until", When))
    op.create_table(
        "safety_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_safety_events"),
    )


def downgrade() -> None:
    op.drop_table("safety_events")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("hold_nudges_until")
        batch.drop_column("country")

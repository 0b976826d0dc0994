"""processed update ids are pruned by age: index their time

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbound_created_at", "inbound", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_created_at", table_name="inbound")

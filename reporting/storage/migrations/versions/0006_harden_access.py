"""api_tokens.expires_at: API tokens expire (existing ones 90 days after this upgrade); the revision is
0006_harden_access because Alembic allows no hyphen in a revision identifier

Revision ID: 0006_harden_access
Revises: 0005
Create Date: 2026-12-03 11:40:00
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0006_harden_access"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    # tokens issued before expiry existed get the default lifetime from now, so that no program stops at once
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=90)
    op.get_bind().execute(
        sa.text("UPDATE api_tokens SET expires_at = :later WHERE expires_at IS NULL"), {"later": later}
    )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")

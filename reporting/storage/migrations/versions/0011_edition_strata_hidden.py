"""editions.strata_hidden: the stratum counts an edition's public outputs suppress, recorded when it is rendered so
that public pages read them instead of planning them in a web request

Revision ID: 0011_edition_strata_hidden
Revises: 0010_result_strata
Create Date: 2026-12-03 19:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_edition_strata_hidden"
down_revision = "0010_result_strata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("editions", sa.Column("strata_hidden", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("editions", "strata_hidden")

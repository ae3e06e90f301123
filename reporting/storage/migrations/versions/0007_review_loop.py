"""one outbox: notices become rows of the delivery ledger (no artifact; subject, body and a unique key), and an
artifact keeps the headline figures its e-mail states

Revision ID: 0007_review_loop
Revises: 0006_harden_access
Create Date: 2026-12-03 11:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_review_loop"
down_revision = "0006_harden_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headlines", sa.JSON(), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("edition_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("artifact_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=300), server_default="", nullable=False))
        batch_op.add_column(sa.Column("body", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_deliveries_key"), ["key"])
    # A notice still sending when the service stopped goes back to pending: notices never reached the DATA stage
    # in a recorded way before, and the sweep now treats them as it treats reports.
    op.execute(
        "INSERT INTO deliveries (key, recipient, subject, body, reason, status, stage, attempts, created_at, "
        "sent_at, last_error, claimed_by, message_id) "
        "SELECT key, recipient, subject, body, 'notice', "
        "CASE status WHEN 'sending' THEN 'pending' ELSE status END, '', attempts, created_at, sent_at, "
        "last_error, '', '' FROM notices"
    )
    op.drop_table("notices")


def downgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_notices_key")),
    )
    op.execute(
        "INSERT INTO notices (key, recipient, subject, body, status, attempts, created_at, sent_at, last_error) "
        "SELECT key, recipient, subject, body, CASE status WHEN 'uncertain' THEN 'failed' ELSE status END, "
        "attempts, COALESCE(created_at, CURRENT_TIMESTAMP), sent_at, last_error FROM deliveries "
        "WHERE artifact_id IS NULL"
    )
    op.execute("DELETE FROM deliveries WHERE artifact_id IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deliveries_key"), type_="unique")
        batch_op.drop_column("created_at")
        batch_op.drop_column("body")
        batch_op.drop_column("subject")
        batch_op.drop_column("key")
        batch_op.alter_column("artifact_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("edition_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_column("headlines")

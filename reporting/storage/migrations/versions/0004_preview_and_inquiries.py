"""preview windows and inquiries: editions.preview_until and publish_reason, artifacts.preview, inquiries,
their messages, and notices (short e-mails sent once)

Editions waiting for a reviewer's approval were called 'preview'; they are now 'awaiting_approval', and
'preview' is the window in which ICOs see and question their results before publication.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preview_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("publish_reason", sa.Text(), server_default="", nullable=False))
    op.execute("UPDATE editions SET status = 'awaiting_approval' WHERE status = 'preview'")
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preview", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_code", sa.String(length=7), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=40), nullable=True),
        sa.Column("edition_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("resubmission_allowed", sa.Boolean(), nullable=False),
        sa.Column("opened_by", sa.String(length=254), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=254), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_inquiries_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiries")),
    )
    op.create_index(op.f("ix_inquiries_period_code"), "inquiries", ["period_code"], unique=False)
    op.create_index(op.f("ix_inquiries_organization_id"), "inquiries", ["organization_id"], unique=False)
    op.create_table(
        "inquiry_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inquiry_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inquiry_id"], ["inquiries.id"], name=op.f("fk_inquiry_messages_inquiry_id_inquiries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inquiry_messages")),
    )
    op.create_index(op.f("ix_inquiry_messages_inquiry_id"), "inquiry_messages", ["inquiry_id"], unique=False)
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


def downgrade() -> None:
    op.drop_table("notices")
    op.drop_index(op.f("ix_inquiry_messages_inquiry_id"), table_name="inquiry_messages")
    op.drop_table("inquiry_messages")
    op.drop_index(op.f("ix_inquiries_organization_id"), table_name="inquiries")
    op.drop_index(op.f("ix_inquiries_period_code"), table_name="inquiries")
    op.drop_table("inquiries")
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_column("preview")
    op.execute("UPDATE editions SET status = 'preview' WHERE status = 'awaiting_approval'")
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.drop_column("publish_reason")
        batch_op.drop_column("preview_until")

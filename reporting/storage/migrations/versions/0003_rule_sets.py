"""rule sets: benchmarks, withhold measures, gap closure and tiers as versioned data; editions record theirs

Version 1 of every year is seeded from config/benchmarks.csv and config/withhold.csv, so an existing
installation keeps exactly the rules it had.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:50:00
"""

import csv
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CONFIG = Path(__file__).resolve().parents[4] / "config"
DEFAULT_TIERS = [(0, 0.0, 0), (1, 20.0, 25), (2, 40.0, 50), (3, 60.0, 75), (4, 80.0, 100)]


def upgrade() -> None:
    rule_sets = op.create_table(
        "rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("adopted_by", sa.String(length=254), nullable=False),
        sa.Column("adopted_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_sets")),
        sa.UniqueConstraint("year", "version", name=op.f("uq_rule_sets_year")),
    )
    op.create_index(
        "uq_rule_sets_in_force",
        "rule_sets",
        ["year"],
        unique=True,
        sqlite_where=sa.text("status = 'in_force'"),
        postgresql_where=sa.text("status = 'in_force'"),
    )
    rule_measures = op.create_table(
        "rule_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.String(length=40), nullable=False),
        sa.Column("benchmark", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("withhold", sa.Boolean(), nullable=False),
        sa.Column("gap_closure", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_set_id"], ["rule_sets.id"], name=op.f("fk_rule_measures_rule_set_id_rule_sets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_measures")),
        sa.UniqueConstraint("rule_set_id", "measure_id", name=op.f("uq_rule_measures_rule_set_id")),
    )
    op.create_index(op.f("ix_rule_measures_rule_set_id"), "rule_measures", ["rule_set_id"], unique=False)
    rule_tiers = op.create_table(
        "rule_tiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_set_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("min_share_met", sa.Float(), nullable=False),
        sa.Column("earned_back", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_set_id"], ["rule_sets.id"], name=op.f("fk_rule_tiers_rule_set_id_rule_sets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_tiers")),
        sa.UniqueConstraint("rule_set_id", "tier", name=op.f("uq_rule_tiers_rule_set_id")),
    )
    op.create_index(op.f("ix_rule_tiers_rule_set_id"), "rule_tiers", ["rule_set_id"], unique=False)
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_versions", sa.JSON(), nullable=True))
    _seed(rule_sets, rule_measures, rule_tiers)


def _seed(rule_sets, rule_measures, rule_tiers) -> None:
    """Version 1 of each year from the configuration files the service read until now."""
    benchmarks, withhold = {}, {}
    with open(CONFIG / "benchmarks.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            benchmarks[(int(row["year"]), row["measure"].strip())] = (float(row["value"]), row["source"].strip())
    with open(CONFIG / "withhold.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            withhold[(int(row["year"]), row["measure"].strip())] = row["gap_closure"].strip().lower() == "on"
    years = sorted({y for y, _ in benchmarks} | {y for y, _ in withhold})
    measures = sorted({m for _, m in benchmarks} | {m for _, m in withhold})
    now = datetime.now(UTC).replace(tzinfo=None)
    for i, year in enumerate(years, start=1):
        op.bulk_insert(
            rule_sets,
            [
                {
                    "id": i,
                    "year": year,
                    "version": 1,
                    "status": "in_force",
                    "based_on_id": None,
                    "note": "Version 1, from config/benchmarks.csv and config/withhold.csv",
                    "created_by": "config files",
                    "created_at": now,
                    "adopted_by": "config files",
                    "adopted_at": now,
                }
            ],
        )
        op.bulk_insert(
            rule_measures,
            [
                {
                    "rule_set_id": i,
                    "measure_id": m,
                    "benchmark": benchmarks.get((year, m), (None, ""))[0],
                    "source": benchmarks.get((year, m), (None, ""))[1],
                    "withhold": (year, m) in withhold,
                    "gap_closure": withhold.get((year, m), False),
                }
                for m in measures
            ],
        )
        op.bulk_insert(
            rule_tiers,
            [
                {"rule_set_id": i, "tier": t, "min_share_met": share, "earned_back": earned}
                for t, share, earned in DEFAULT_TIERS
            ],
        )
    if years and op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('rule_sets', 'id'), (SELECT max(id) FROM rule_sets))")


def downgrade() -> None:
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.drop_column("rule_versions")
    op.drop_index(op.f("ix_rule_tiers_rule_set_id"), table_name="rule_tiers")
    op.drop_table("rule_tiers")
    op.drop_index(op.f("ix_rule_measures_rule_set_id"), table_name="rule_measures")
    op.drop_table("rule_measures")
    op.drop_index("uq_rule_sets_in_force", table_name="rule_sets")
    op.drop_table("rule_sets")

"""case-mix: data dictionary version 2 (the survey's case-mix adjusters), adjusted survey results and
their comparison with statewide, and the rule set field that makes benchmarks and withhold use them

Revision ID: 0006_case_mix
Revises: 0005
Create Date: 2026-12-03 11:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_case_mix'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rows_survey_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('general_health', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('mental_health', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('education', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('proxy', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('survey_language', sa.String(length=40), nullable=True))
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adjusted_value', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('vs_statewide', sa.String(length=20), nullable=True))
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_mix_adjusted', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('rule_sets', schema=None) as batch_op:
        batch_op.drop_column('case_mix_adjusted')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_column('vs_statewide')
        batch_op.drop_column('adjusted_value')
    with op.batch_alter_table('rows_survey_responses', schema=None) as batch_op:
        for name in ('survey_language', 'proxy', 'education', 'mental_health', 'general_health'):
            batch_op.drop_column(name)

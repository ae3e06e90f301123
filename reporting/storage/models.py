"""The service's tables. Row tables of the seven package files are built from the data dictionary."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from measures.dictionary import FILES

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


DEFAULT_PROGRAMME = "ma-one-care"  # what rows of an installation from before programmes belong to (0009_programmes)


def _programme() -> Mapped[str]:
    """The programme a row belongs to (``reporting.programmes``); rows from before programmes are ma-one-care's."""
    return mapped_column(String(40), server_default=DEFAULT_PROGRAMME)


ROLES = ("admin", "cms_reviewer", "state_reviewer", "ico_submitter")
REVIEWER_ROLES = ("cms_reviewer", "state_reviewer")


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(2))
    programme_id: Mapped[str] = mapped_column(String(40), server_default=DEFAULT_PROGRAMME, index=True)
    active_from: Mapped[date | None] = mapped_column(Date)
    active_to: Mapped[date | None] = mapped_column(Date)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recipients: Mapped[list[ReportRecipient]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", order_by="ReportRecipient.email"
    )


class ReportRecipient(Base):
    __tablename__ = "report_recipients"
    __table_args__ = (UniqueConstraint("organization_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    organization: Mapped[Organization] = relationship(back_populates="recipients")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    state: Mapped[str | None] = mapped_column(String(2))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    organization: Mapped[Organization | None] = relationship()

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def ico_code(self) -> str | None:
        return self.organization.code if self.organization else None


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)  # refused from then on (none: refused)
    user: Mapped[User] = relationship()

    @property
    def expired(self) -> bool:
        return self.expires_at is None or self.expires_at <= utcnow()


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_action_target_at", "action", "target", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(254), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="ok")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class ReportingPeriod(Base):
    __tablename__ = "periods"
    code: Mapped[str] = mapped_column(String(7), primary_key=True)
    begin: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("organization_id", "period_code", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    period_code: Mapped[str] = mapped_column(ForeignKey("periods.code"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # accepted | rejected
    via: Mapped[str] = mapped_column(String(10))  # web | api | cli | demo
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploader: Mapped[str] = mapped_column(String(254), default="")
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    organization: Mapped[Organization] = relationship()
    files: Mapped[list[SubmissionFile]] = relationship(cascade="all, delete-orphan", order_by="SubmissionFile.id")


class SubmissionFile(Base):
    __tablename__ = "submission_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)


_SQL_TYPES = {"date": Date, "int": Integer}


def _row_table(spec) -> Table:
    """The accepted rows of one file kind, keyed by submission version.

    No foreign key to ``submissions``: checking it row by row made the bulk load of a million-row
    package several times slower (COPY 0.7 s without, 3.8-4.7 s with, on this machine). Rows are
    written only by ``storage.rows.write_rows`` in the transaction that creates their submission, and
    submissions are never deleted. A package's rows are appended together, so on PostgreSQL a BRIN
    index on the submission is enough to find them and costs next to nothing to maintain."""
    columns = [Column("submission_id", Integer, nullable=False), Column("row_number", Integer, nullable=False)]
    columns += [Column(c.name, _SQL_TYPES.get(c.type, String(40)), nullable=not c.required) for c in spec.columns]
    return Table(
        f"rows_{spec.name}",
        Base.metadata,
        *columns,
        Index(f"ix_rows_{spec.name}_submission", "submission_id", postgresql_using="brin"),
    )


ROW_TABLES: dict[str, Table] = {name: _row_table(spec) for name, spec in FILES.items()}


class ResultRun(Base):
    """One computation of one period: its inputs (provenance) and whether it is the current one."""

    __tablename__ = "result_runs"
    __table_args__ = (Index("ix_result_runs_programme_id_period_code", "programme_id", "period_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = _programme()
    period_code: Mapped[str] = mapped_column(String(7), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(20), default="cli")
    code_version: Mapped[str] = mapped_column(String(80), default="")
    spec_version: Mapped[str] = mapped_column(String(20), default="")
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)  # ico -> [{period, version, sha256, submission_id}]
    inputs_digest: Mapped[str] = mapped_column(String(64), default="")
    error: Mapped[str] = mapped_column(Text, default="")


class Result(Base):
    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("run_id", "measure_id", "ico"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    period_code: Mapped[str] = mapped_column(String(7))
    measure_id: Mapped[str] = mapped_column(String(40))
    measure_version: Mapped[str] = mapped_column(String(10))
    ico: Mapped[str] = mapped_column(String(20))
    numerator: Mapped[int | None] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    elements: Mapped[dict] = mapped_column(JSON, default=dict)
    extras: Mapped[dict] = mapped_column(JSON, default=dict)
    adjusted_value: Mapped[float | None] = mapped_column(Float)  # survey measures: case-mix adjusted (measures.md)
    vs_statewide: Mapped[str | None] = mapped_column(String(20))  # higher | lower | no_difference, or None


class ResultUnits(Base):
    """The per-unit frame behind one result (Parquet, zstd-compressed: engine.store.frame_to_bytes): the drill-down
    to submitted rows."""

    __tablename__ = "result_units"
    __table_args__ = (UniqueConstraint("run_id", "measure_id", "ico"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    measure_id: Mapped[str] = mapped_column(String(40))
    ico: Mapped[str] = mapped_column(String(20))
    row_count: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ResultStratum(Base):
    """One stratum of one result (results by group, ``engine.strata``): the measure's counts, value and interval
    over the units of one stratum of one stratifier, and its disparity flag against the rest of the ICO. Written
    with the run's results, in the same transaction; read by ``publication.strata``."""

    __tablename__ = "result_strata"
    __table_args__ = (UniqueConstraint("run_id", "measure_id", "ico", "stratifier", "stratum"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id", ondelete="CASCADE"), index=True)
    period_code: Mapped[str] = mapped_column(String(7))
    measure_id: Mapped[str] = mapped_column(String(40))
    ico: Mapped[str] = mapped_column(String(20))
    stratifier: Mapped[str] = mapped_column(String(30))
    stratum: Mapped[str] = mapped_column(String(40))
    numerator: Mapped[int | None] = mapped_column(Integer)
    denominator: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[str | None] = mapped_column(String(10))  # better | worse, or None
    p_value: Mapped[float | None] = mapped_column(Float)
    difference: Mapped[float | None] = mapped_column(Float)  # the stratum's value minus the rest's (points)


class Edition(Base):
    """A published (or previewed) set of results for a period, frozen on one run."""

    __tablename__ = "editions"
    __table_args__ = (UniqueConstraint("programme_id", "period_code", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = _programme()
    period_code: Mapped[str] = mapped_column(String(7), index=True)
    number: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id"))
    status: Mapped[str] = mapped_column(String(20))  # preview | awaiting_approval | published | superseded | withdrawn
    revised: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    approved_by: Mapped[str] = mapped_column(String(254), default="")
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime)
    rule_versions: Mapped[dict | None] = mapped_column(
        JSON, default=dict
    )  # year -> rule set version in force when made
    preview_until: Mapped[datetime | None] = mapped_column(DateTime)  # end of the preview window (preview mode)
    publish_reason: Mapped[str] = mapped_column(
        Text, default="", server_default=""
    )  # published with inquiries still open: why
    # the stratum counts its public outputs suppress, as keys (publication.strata_release), recorded when rendered
    strata_hidden: Mapped[list | None] = mapped_column(JSON)


class RuleSet(Base):
    """The rules of one measurement year, versioned: benchmarks, withhold measures, gap closure and tiers.
    A draft can be edited; adopting it puts it in force (exactly one per year) and retires the one before;
    adopted versions never change."""

    __tablename__ = "rule_sets"
    __table_args__ = (
        UniqueConstraint("programme_id", "year", "version"),
        Index(
            "uq_rule_sets_in_force",
            "programme_id",
            "year",
            unique=True,
            sqlite_where=text("status = 'in_force'"),
            postgresql_where=text("status = 'in_force'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = _programme()
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # draft | in_force | retired
    based_on_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    adopted_by: Mapped[str] = mapped_column(String(254), default="")
    adopted_at: Mapped[datetime | None] = mapped_column(DateTime)
    case_mix_adjusted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )  # survey measures judged on adjusted scores
    measures: Mapped[list[RuleMeasure]] = relationship(cascade="all, delete-orphan", order_by="RuleMeasure.id")
    tiers: Mapped[list[RuleTier]] = relationship(cascade="all, delete-orphan", order_by="RuleTier.tier")

    @property
    def label(self) -> str:
        return f"{self.year} v{self.version}"


class RuleMeasure(Base):
    __tablename__ = "rule_measures"
    __table_args__ = (UniqueConstraint("rule_set_id", "measure_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id", ondelete="CASCADE"), index=True)
    measure_id: Mapped[str] = mapped_column(String(40))
    benchmark: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")
    withhold: Mapped[bool] = mapped_column(Boolean, default=False)
    gap_closure: Mapped[bool] = mapped_column(Boolean, default=False)


class RuleTier(Base):
    __tablename__ = "rule_tiers"
    __table_args__ = (UniqueConstraint("rule_set_id", "tier"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    min_share_met: Mapped[float] = mapped_column(Float)  # percent of withhold measures met, 0-100
    earned_back: Mapped[int] = mapped_column(Integer)  # percent of the withhold earned back, 0-100


class Artifact(Base):
    __tablename__ = "artifacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("result_runs.id"))
    kind: Mapped[str] = mapped_column(String(20))  # scorecard | statewide | public | withhold
    ico: Mapped[str | None] = mapped_column(String(20))
    period_code: Mapped[str] = mapped_column(String(7))
    audience: Mapped[str] = mapped_column(String(20))  # ico | reviewer | public
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    preview: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )  # marked "Preview: not for distribution"
    headlines: Mapped[list | None] = mapped_column(
        JSON
    )  # the e-mail's figures, from the context the PDF was rendered from


class Delivery(Base):
    """The outbox: one row per message, claimed before sending. A report's row is one per artifact of an edition
    and recipient; a notice (an inquiry's news, a reminder, a summary) has no artifact, its subject and body, and
    a key unique per news and recipient."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("artifact_id", "recipient"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id"), index=True)
    artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"))
    key: Mapped[str | None] = mapped_column(String(200), unique=True)  # a notice's: news and recipient
    subject: Mapped[str] = mapped_column(String(300), default="", server_default="")  # a notice's
    body: Mapped[str] = mapped_column(Text, default="", server_default="")  # a notice's
    recipient: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sending|sent|failed|uncertain
    stage: Mapped[str] = mapped_column(String(20), default="")  # while sending: connect | data
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str] = mapped_column(String(200), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    artifact: Mapped[Artifact | None] = relationship()

    @property
    def is_notice(self) -> bool:
        return self.artifact_id is None

    @property
    def what(self) -> str:
        """What the message carries, for the admin's list: the report's file, or the notice's subject."""
        return self.subject if self.artifact_id is None else self.artifact.filename


class Inquiry(Base):
    """An ICO's question about one result (measure, ICO, period) or a whole edition, answered by reviewers and
    closed with a resolution. Its messages are kept in order; nothing is ever deleted."""

    __tablename__ = "inquiries"
    id: Mapped[int] = mapped_column(primary_key=True)
    period_code: Mapped[str] = mapped_column(String(7), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    measure_id: Mapped[str | None] = mapped_column(String(40))  # None: the edition as a whole
    edition_number: Mapped[int] = mapped_column(Integer)  # the edition it was opened on
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    resolution: Mapped[str] = mapped_column(String(20), default="")  # corrected | no_change (when closed)
    reason: Mapped[str] = mapped_column(Text, default="")
    resubmission_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_by: Mapped[str] = mapped_column(String(254))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(254), default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    organization: Mapped[Organization] = relationship()
    messages: Mapped[list[InquiryMessage]] = relationship(order_by="InquiryMessage.id", cascade="all")


class InquiryMessage(Base):
    __tablename__ = "inquiry_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id"), index=True)
    author: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))  # the author's role, or "system" for notes of the service
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)


class Schedule(Base):
    """A schedule an admin can see and change; the scheduler process syncs its jobs from these rows."""

    __tablename__ = "schedules"
    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    cron: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")


class JobRun(Base):
    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(50), index=True)
    period_code: Mapped[str] = mapped_column(String(7), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    host: Mapped[str] = mapped_column(String(100), default="")
    timings: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")


class DataChange(Base):
    """One row per committed transaction that changed what the pages show: its id is the data version the
    page cache keys pages by (``storage/changes.py`` writes it for every session, so no writer can forget)."""

    __tablename__ = "data_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

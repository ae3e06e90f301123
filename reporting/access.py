"""The one access policy: who may see and do what. Every web view (``web.guards.allow`` names the permission a
route needs, from the table below), template (``can(PERMISSION)``), API route, export, download, e-mail recipient list and inquiry asks here.

The invariant that matters most: an ICO's users reach nothing of another ICO. Reviewers see every ICO (a
state reviewer their state's ICOs); admins pass every role check. Statewide figures are hidden from ICO users
while fewer than three ICOs report, since statewide minus their own would give the other ICO's exact figures."""

from __future__ import annotations

from sqlalchemy import select

from reporting.errors import Forbidden, NotFound
from reporting.participation import took_part
from reporting.periods import stored
from reporting.publication.editions import EditionStatus
from reporting.storage.models import REVIEWER_ROLES, ROLES, Organization, ResultRun, User

ADMIN, CMS_REVIEWER, STATE_REVIEWER, ICO_SUBMITTER = ROLES
ROLE_LABELS = {
    ICO_SUBMITTER: "ICO submitter",
    CMS_REVIEWER: "CMS reviewer",
    STATE_REVIEWER: "State reviewer",
    ADMIN: "Administrator",
}

# ``@allow`` takes these two besides permissions: anyone at all, and any active user
PUBLIC, SIGNED_IN = "public", "signed_in"

# --- named permissions: the one role -> permission table (issue 24) -----------------------------

EDIT_RULES = "edit_rules"  # draft, adopt and discard rule sets; issue revised withhold reports
READ_RULES = "read_rules"  # the Rules pages and a draft's impact
PUBLISH = "publish"  # approve an edition (of the ICOs one may see)
PUBLISH_PREVIEW = "publish_preview"  # publish a preview now, before its window ends (a reason while inquiries are open)
SEE_UNPUBLISHED = "see_unpublished"  # editions awaiting approval
ANSWER_INQUIRIES = "answer_inquiries"  # answer, close and reopen inquiries (of the ICOs one may see)
OPEN_INQUIRIES = "open_inquiries"  # question one's own ICO's results
SUBMIT = "submit"  # upload packages (one's own ICO's; admins any)
SEE_PUBLIC_TABLE = "see_public_table"  # the suppressed public table as a download, beside the full figures
ADMINISTER = "administer"  # users, ICOs, tokens, schedules, deliveries, the audit trail

PERMISSIONS = {
    ADMIN: {
        EDIT_RULES,
        READ_RULES,
        PUBLISH,
        PUBLISH_PREVIEW,
        SEE_UNPUBLISHED,
        SEE_PUBLIC_TABLE,
        ANSWER_INQUIRIES,
        SUBMIT,
        ADMINISTER,
    },
    CMS_REVIEWER: {
        EDIT_RULES,
        READ_RULES,
        PUBLISH,
        PUBLISH_PREVIEW,
        SEE_UNPUBLISHED,
        SEE_PUBLIC_TABLE,
        ANSWER_INQUIRIES,
    },
    STATE_REVIEWER: {READ_RULES, PUBLISH, SEE_UNPUBLISHED, SEE_PUBLIC_TABLE, ANSWER_INQUIRIES},
    ICO_SUBMITTER: {OPEN_INQUIRIES, SUBMIT},
}
PERMISSION_NAMES = set().union(*PERMISSIONS.values())
# the permissions by their constant's name, for templates (``can(SUBMIT)``)
BY_NAME = {k: v for k, v in dict(globals()).items() if k.isupper() and isinstance(v, str) and v in PERMISSION_NAMES}


def can(user, permission: str) -> bool:
    """Whether ``user`` holds ``permission`` (one of the names above) by their role."""
    return permission in PERMISSIONS.get(getattr(user, "role", None), ())


def allowed_roles(who: tuple[str, ...]) -> set[str] | None:
    """The roles that may reach a route declared ``@allow(*who)`` (permissions; any one suffices); None: anyone
    signed in (or anyone at all). A name that is no permission is refused, so a role name cannot slip in."""
    unknown = [w for w in who if w not in PERMISSION_NAMES and w not in (PUBLIC, SIGNED_IN)]
    if unknown:
        raise ValueError(f"@allow takes named permissions of reporting.access, not {', '.join(unknown)}.")
    if PUBLIC in who or SIGNED_IN in who:
        return None
    return {role for role, held in PERMISSIONS.items() if held & set(who)}


# --- roles --------------------------------------------------------------------------------------


class _Operator:
    """Whoever runs the command line on the server: sees what an administrator sees."""

    role, state, organization_id, ico_code, email = ADMIN, None, None, None, "command line"


OPERATOR = _Operator()


def is_admin(user) -> bool:
    return getattr(user, "role", None) == ADMIN


def is_ico_user(user) -> bool:
    return getattr(user, "role", None) == ICO_SUBMITTER


def reviews(user) -> bool:
    """Reviewers and admins: every ICO's results (a state's), previews awaiting approval, inquiries to answer."""
    return getattr(user, "role", None) in (ADMIN, *REVIEWER_ROLES)


def may_edit_rules(user) -> bool:
    """Drafting, adopting and deleting rule sets: CMS reviewers and admins (state reviewers read them)."""
    return can(user, EDIT_RULES)


def sees_every_ico(user) -> bool:
    return getattr(user, "role", None) in (ADMIN, CMS_REVIEWER)


# --- ICOs ---------------------------------------------------------------------------------------


def visible_icos(session, user: User, programme=None) -> list[Organization]:
    """The ICOs whose own figures this user may see: all (admin, CMS), one state's, or their own; of one programme
    (an id or a ``Programme``) when given, as every page that shows one programme asks."""
    query = select(Organization).order_by(Organization.name)
    if programme is not None:
        query = query.where(Organization.programme_id == getattr(programme, "id", programme))
    if sees_every_ico(user):
        return list(session.scalars(query))
    if user.role == STATE_REVIEWER:
        return list(session.scalars(query.where(Organization.state == user.state)))
    if is_ico_user(user) and user.organization_id:
        return list(session.scalars(query.where(Organization.id == user.organization_id)))
    return []


def ico_by_code(session, code: str | None) -> Organization | None:
    """The one lookup of an ICO by its code (trimmed, upper case)."""
    return session.scalar(select(Organization).where(Organization.code == (code or "").strip().upper()))


def ico_for(session, user: User, code: str | None, what: str = "results") -> Organization:
    """The ICO with ``code`` if ``user`` may see it: 404 when there is none, 403 when it is another's."""
    org = ico_by_code(session, code)
    if org is None:
        raise NotFound("There is no such ICO.")
    if not can_see_ico(user, org):
        raise Forbidden(refusal(user, what))
    return org


def refusal(user, what: str) -> str:
    """Why ``user`` may not see another ICO's ``what``, in the words of their own access."""
    if getattr(user, "role", None) == STATE_REVIEWER:
        return f"You may only see the {what} of your state's ({user.state}) ICOs: this ICO is another state's."
    return f"You may only see your own ICO's {what}."


def can_see_ico(user: User, org: Organization) -> bool:
    if sees_every_ico(user):
        return True
    if user.role == STATE_REVIEWER:
        return org.state == user.state
    return is_ico_user(user) and user.organization_id == org.id


def can_submit_for(user: User, org: Organization) -> bool:
    return is_admin(user) or (is_ico_user(user) and user.organization_id == org.id)


def member_lists_for(user, code: str | None) -> str:
    """The ICO whose member lists a machine client (FHIR) may fetch: an ICO token its own only, an admin's the
    ICO it names; reviewers none (member lists are for the ICO's own use)."""
    if not (is_ico_user(user) or is_admin(user)):
        raise Forbidden("Member lists are for the ICO's own use: only its own token may fetch them.")
    code = (code or user.ico_code or "").strip().upper()
    if is_ico_user(user) and code != user.ico_code:
        raise Forbidden("This token may only fetch its own ICO's member lists.")
    return code


# --- programmes ---------------------------------------------------------------------------------


def may_see_programme(user, programme) -> bool:
    """A programme (or its id): CMS reviewers and admins every one, a state reviewer their state's, an ICO user their
    own ICO's."""
    from reporting import programmes

    prog = programmes.get(programme) if isinstance(programme, str) else programme
    if sees_every_ico(user):
        return True
    if getattr(user, "role", None) == STATE_REVIEWER:
        return prog.state == getattr(user, "state", None)
    org = getattr(user, "organization", None)
    return is_ico_user(user) and org is not None and org.programme_id == prog.id


def programmes_for(user) -> list:
    """The programmes ``user`` may see, in the order ``programmes.all()`` gives them."""
    from reporting import programmes

    return [p for p in programmes.all() if may_see_programme(user, p)]


def programme_for(user, wanted: str | None):
    """The programme a page shows: ``wanted`` (``?programme=``) if the user may see it (404 when there is no such
    programme, 403 when it is another state's), else the first the user may see; None when they may see none."""
    from reporting import programmes

    if wanted:
        prog = programmes.get(wanted)  # a clear 404 for an unknown id
        if not may_see_programme(user, prog):
            raise Forbidden(f"You may not see the programme {prog.name}.")
        return prog
    seen = programmes_for(user)
    default = next((p for p in seen if p.id == programmes.default().id), None)
    return default or (seen[0] if seen else None)


# --- statewide figures --------------------------------------------------------------------------

STATEWIDE_MIN_ICOS = 3

STATEWIDE_HIDDEN_NOTE = (
    "Statewide figures are not shown for {periods}: fewer than three ICOs reported, so the "
    "statewide figure would reveal another ICO's results."
)


def statewide_hidden_from(role: str, icos_reporting: int) -> bool:
    """ICO users (and the reports made for them) see statewide figures only when at least three ICOs report."""
    return role == ICO_SUBMITTER and icos_reporting < STATEWIDE_MIN_ICOS


def run_states(session, run) -> set[str]:
    """The states of the ICOs whose data ``run`` used (a run or its id): whose state reviewers may see its
    statewide figures and reports."""
    run = session.get(ResultRun, run) if isinstance(run, int) else run
    codes = list((run.inputs or {}).keys()) if run is not None else []
    return set(session.scalars(select(Organization.state).where(Organization.code.in_(codes)))) if codes else set()


def role_of(viewer) -> str:
    """The role of a viewer given as a user or, for a report made for an audience, as a role name."""
    return viewer if isinstance(viewer, str) else getattr(viewer, "role", "")


def statewide_hidden_in(session, viewer, run) -> bool:
    """Whether ``run``'s statewide figures are hidden from ``viewer``: a user (ICO users while fewer than three
    ICOs report; a state reviewer unless the run's ICOs include their state's) or, for a report made for an
    audience, a role name (the count rule only)."""
    role = role_of(viewer)
    if statewide_hidden_from(role, len(run.inputs or {})):
        return True
    if role == STATE_REVIEWER and not isinstance(viewer, str):
        return getattr(viewer, "state", None) not in run_states(session, run)
    return False


def strata_codes(session, viewer, run) -> list[str]:
    """Whose results by group (``publication.strata``) ``viewer`` may see in ``run``: the strata of the ICOs whose
    own figures they see (an ICO user its own, unsuppressed), and the statewide strata where the run's statewide
    figures are not hidden from them (``statewide_hidden_in``; the caller also drops a statewide measure withheld
    from ICO users, ``released.statewide_withheld``)."""
    from reporting.engine import STATEWIDE

    codes = [o.code for o in visible_icos(session, viewer, run.programme_id)]
    return codes + ([] if statewide_hidden_in(session, viewer, run) else [STATEWIDE])


def can_see_statewide(user: User, states: set[str], icos_reporting: int) -> bool:
    """Statewide figures of a run whose ICOs are in ``states``: not for another state's reviewer, nor for ICO
    users when fewer than three ICOs report."""
    if statewide_hidden_from(user.role, icos_reporting):
        return False
    return user.role != STATE_REVIEWER or user.state in states


# --- rendered reports ---------------------------------------------------------------------------


def may_download(user, per_ico: bool, ico: str | None, visible_codes: set[str], run_states) -> bool:
    """A rendered report: a per-ICO one (scorecard, withhold) to whoever may see that ICO; a statewide or public
    one to CMS reviewers and admins, and to a state reviewer when the run's ICOs include their state's
    (``run_states``: a function of nothing giving those states, read only when needed)."""
    if per_ico:
        return ico in visible_codes
    if sees_every_ico(user):
        return True
    return user.role == STATE_REVIEWER and user.state in run_states()


# --- previews and inquiries ---------------------------------------------------------------------


def may_publish(session, user, edition) -> bool:
    """Approving or publishing ``edition``: a reviewer who holds PUBLISH and sees its ICOs (a state reviewer the
    editions of their own state's ICOs only)."""
    if not can(user, PUBLISH):
        return False
    return sees_every_ico(user) or getattr(user, "state", None) in run_states(session, edition.run_id)


def may_see_edition(user, status: str) -> bool:
    """An edition awaiting a reviewer's approval is not shown to ICO users; a preview or published one is, and so
    is a computation in no edition yet (``status`` "unpublished": pages label it so)."""
    if not is_ico_user(user) or status not in EditionStatus.__members__.values():
        return True
    return EditionStatus(status).visible_to_icos


def preview_concerns(user, edition) -> bool:
    """Whether ``edition`` (in preview) is one ``user`` is told of ("in preview: question a result"): its programme
    is one they see, and an ICO user's ICO took part in its period (an ICO that left before it, or joined after it,
    has nothing in it to question)."""
    if not may_see_programme(user, edition.programme_id):
        return False
    org = getattr(user, "organization", None)
    if not is_ico_user(user) or org is None:
        return True
    return took_part(org, stored(edition.period_code))


def may_open_inquiry(user) -> bool:
    return can(user, OPEN_INQUIRIES)


def may_answer_inquiry(user, org: Organization) -> bool:
    return reviews(user) and can_see_ico(user, org)


def may_write_in_inquiry(user, org: Organization) -> bool:
    return (reviews(user) or is_ico_user(user)) and can_see_ico(user, org)


# --- people to tell -----------------------------------------------------------------------------


def ico_users(session, org: Organization) -> list[User]:
    """The active users of ``org`` (its submitters): who may see its figures among the ICO's people."""
    return list(
        session.scalars(
            select(User)
            .where(User.active, User.role == ICO_SUBMITTER, User.organization_id == org.id)
            .order_by(User.email)
        )
    )


def admins(session) -> list[User]:
    """The active administrators (told of failed deliveries and jobs)."""
    return list(session.scalars(select(User).where(User.active, User.role == ADMIN).order_by(User.email)))


def reviewers_of(session, states: set[str], cms_only: bool = False) -> list[User]:
    """The active reviewers who may see ICOs of ``states``: every CMS reviewer and those states' reviewers."""
    users = session.scalars(select(User).where(User.active, User.role.in_(REVIEWER_ROLES)).order_by(User.email))
    return [u for u in users if u.role == CMS_REVIEWER or (not cms_only and u.state in states)]

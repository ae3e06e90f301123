"""The account commands: users create, set-password, disable; ico add with recipients."""

from sqlalchemy import select

from reporting.storage.models import AuditEvent, Organization, User
from tests.conftest import login


def test_account_commands(app, dbs):
    runner = app.test_cli_runner()
    r = runner.invoke(
        args=[
            "ico",
            "add",
            "--code",
            "cca",
            "--name",
            "Commonwealth Care Alliance",
            "--state",
            "MA",
            "--recipient",
            "Quality@CCA.example.org",
            "--recipient",
            "cmo@cca.example.org",
        ]
    )
    assert r.exit_code == 0, r.output
    org = dbs.scalar(select(Organization))
    assert org.code == "CCA" and [x.email for x in org.recipients] == ["cmo@cca.example.org", "quality@cca.example.org"]
    r = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "sub@cca.example.org",
            "--role",
            "ico_submitter",
            "--ico",
            "CCA",
            "--password-stdin",
        ],
        input="a long enough password\n",
    )
    assert r.exit_code == 0, r.output
    bad = runner.invoke(
        args=["users", "create", "--email", "x@cca.example.org", "--role", "ico_submitter", "--password-stdin"],
        input="a long enough password\n",
    )
    assert bad.exit_code == 2 and "--ico CODE" in bad.output
    short = runner.invoke(
        args=["users", "create", "--email", "y@example.org", "--role", "cms_reviewer", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    client = app.test_client()
    assert login(client, "sub@cca.example.org", "a long enough password").status_code == 302
    r = runner.invoke(
        args=["users", "set-password", "--email", "sub@cca.example.org", "--password-stdin"],
        input="another long password\n",
    )
    assert r.exit_code == 0
    assert client.get("/submissions/").status_code == 302  # signed out by the change
    assert login(client, "sub@cca.example.org", "another long password").status_code == 302
    assert runner.invoke(args=["users", "disable", "--email", "sub@cca.example.org"]).exit_code == 0
    assert login(app.test_client(), "sub@cca.example.org", "another long password").status_code == 401
    actions = [e.action for e in dbs.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert {"ico.create", "user.create", "user.password", "user.disable"} <= set(actions)
    assert dbs.scalar(select(User).where(User.email == "sub@cca.example.org")).active is False

"""An installation with a programme of its own in its instance folder (``tests/programmes/files.py``)."""

import pytest

from tests.conftest import _test_app
from tests.programmes.files import write_programme


@pytest.fixture
def zz_app(database_url, tmp_path):
    """The service with ma-one-care (shipped) and zz-test (the instance's own: nine measures, ages 21 and over,
    from 2014Q1, due three months after a quarter), its rule sets seeded by ``init-db`` as an operator would."""
    write_programme(tmp_path / "instance", "zz-test", first_period="2014Q1")
    for app in _test_app(database_url, tmp_path):
        out = app.test_cli_runner().invoke(args=["init-db"])
        assert out.exit_code == 0 and "zz-test 2014" in out.output, out.output
        yield app

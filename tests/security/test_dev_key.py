"""The public development SECRET_KEY is refused outside the `flask` command and tests (issue 12, finding 11).

Before: FLASK_DEBUG, BUURT_DEBUG or BUURT_TESTING in the environment of a WSGI server switched the
refusal off, and anyone could forge sessions and signed links with the key from the source.
"""

from __future__ import annotations

import os
import signal
import subprocess

import click
import pytest

from buurt import create_app
from buurt.config import DEV_SECRET_KEY
from tests.gunicorn_support import CONFIG_FILE, ROOT, VENV_BIN, free_port, server_env

SWITCHES = ("BUURT_DEBUG", "FLASK_DEBUG", "BUURT_TESTING")


@pytest.fixture
def bare_environment(monkeypatch, tmp_path):
    """No key anywhere: no BUURT_* variables, an instance folder without config.py."""
    for name in [n for n in os.environ if n.startswith("BUURT_") or n.startswith("FLASK_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("SQLALCHEMY_DATABASE_URI", raising=False)
    monkeypatch.setenv("BUURT_INSTANCE_PATH", str(tmp_path))
    return monkeypatch


@pytest.mark.parametrize("switch", SWITCHES)
def test_debug_or_testing_from_the_environment_does_not_allow_the_dev_key(bare_environment, switch):
    bare_environment.setenv(switch, "1")
    with pytest.raises(RuntimeError, match="development SECRET_KEY"):
        create_app()


def test_without_any_switch_the_dev_key_is_refused(bare_environment):
    with pytest.raises(RuntimeError, match="development SECRET_KEY"):
        create_app()


def test_the_flask_command_and_tests_may_use_the_dev_key(bare_environment):
    bare_environment.setenv("FLASK_DEBUG", "1")  # `make dev`: flask --debug run
    with click.Context(click.Command("run")):
        assert create_app().config["SECRET_KEY"] == DEV_SECRET_KEY
    assert create_app(test_config={"TESTING": True}).config["SECRET_KEY"] == DEV_SECRET_KEY


def test_a_real_key_starts_whatever_the_switches(bare_environment):
    for switch in SWITCHES:
        bare_environment.setenv(switch, "1")
    bare_environment.setenv("BUURT_SECRET_KEY", "a-real-key-for-this-test-only")
    assert create_app().config["SECRET_KEY"] == "a-real-key-for-this-test-only"


def test_gunicorn_refuses_the_dev_key_with_debug_and_testing_switched_on(tmp_path):
    """Real gunicorn with gunicorn.conf.py: no worker boots, the server exits, nothing answers."""
    env = server_env(instance_path=tmp_path, database_uri=f"sqlite:///{tmp_path / 'buurt.sqlite'}")
    del env["BUURT_SECRET_KEY"]
    env.update(dict.fromkeys(SWITCHES, "1"))
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    command = [str(VENV_BIN / "gunicorn"), "-c", str(CONFIG_FILE), "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "app:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        returncode = process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the arbiter and its workers
        process.wait(10)
        pytest.fail("gunicorn kept running with the development key:\n" + log_path.read_text()[-2000:])
    output = log_path.read_text(errors="replace")
    assert returncode != 0
    assert "Refusing to start with the development SECRET_KEY" in output
    assert "Booting worker" in output  # the control: it did get as far as loading the app

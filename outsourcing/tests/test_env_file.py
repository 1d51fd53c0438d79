"""One PORT moves the server and every link, and every entry point reads .env the same way."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from outsourcing.env import ConfigurationError, read_env_file

ROOT = Path(__file__).resolve().parents[2]
SHOW_SETTINGS = "from django.conf import settings; print(settings.PORT, settings.SITE_URL)"


def run(command, env_file, **environment):
    """Run a Python command in a fresh process from the project folder, as a person would.
    The test run's own PORT, SITE_URL and broker are left out so only the file and `environment` count."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PORT", "SITE_URL", "DATABASE_URL", "CELERY_BROKER_URL", "ENV_FILE"}
    }
    env.update(environment, ENV_FILE=str(env_file))
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def manage(*args, env_file, **environment):
    return run([sys.executable, "manage.py", *args], env_file, **environment)


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text("")
    return path


def test_the_site_url_follows_the_port(env_file):
    assert manage("shell", "--no-imports", "-c", SHOW_SETTINGS, env_file=env_file, PORT="8123") == (
        "8123 http://127.0.0.1:8123"
    )


def test_without_a_port_the_app_is_on_8000(env_file):
    assert manage("shell", "--no-imports", "-c", SHOW_SETTINGS, env_file=env_file) == (
        "8000 http://127.0.0.1:8000"
    )


def test_the_example_env_files_empty_log_and_two_factor_settings_mean_their_defaults(env_file):
    env_file.write_text("MFA_REQUIRED_FOR=\nLOG_FORMAT=\nSENTRY_DSN=\nOTP_TOTP_ISSUER=\n")
    show = (
        "from django.conf import settings as s; "
        "print(sorted(s.MFA_REQUIRED_FOR), s.LOG_FORMAT, s.OTP_TOTP_ISSUER)"
    )

    assert manage("shell", "--no-imports", "-c", show, env_file=env_file) == (
        "['owners', 'superusers'] text Helping Hands"
    )


def test_a_port_in_the_env_file_reaches_manage_py_commands(env_file):
    env_file.write_text("# where the app runs\nPORT=8123\n")

    assert manage("shell", "--no-imports", "-c", SHOW_SETTINGS, env_file=env_file) == (
        "8123 http://127.0.0.1:8123"
    )


def test_a_variable_already_set_beats_the_env_file(env_file):
    env_file.write_text("PORT=8123\nSITE_URL=http://file.example.com\n")

    shown = manage(
        "shell", "--no-imports", "-c", SHOW_SETTINGS, env_file=env_file, SITE_URL="https://hands.example.com"
    )

    assert shown == "8123 https://hands.example.com"


@pytest.mark.parametrize(
    ("entry_point", "line"),
    [
        ("import outsourcing.wsgi", SHOW_SETTINGS),
        ("import outsourcing.asgi", SHOW_SETTINGS),
        ("from outsourcing.celery import app", "print(app.conf.broker_url)"),
    ],
)
def test_the_web_servers_and_celery_read_the_env_file_too(env_file, entry_point, line):
    env_file.write_text("PORT=8123\nCELERY_BROKER_URL=redis://127.0.0.1:6379/9\n")

    shown = run([sys.executable, "-c", f"{entry_point}\n{line}"], env_file)

    assert shown in {"8123 http://127.0.0.1:8123", "redis://127.0.0.1:6379/9"}


def test_the_env_file_takes_comments_quotes_and_export(tmp_path, monkeypatch):
    path = tmp_path / ".env"
    path.write_text(
        "# a comment\n\n"
        "export HH_ONE=1\n"
        'HH_QUOTED="two words # not a comment"\n'
        "HH_SINGLE='three'\n"
        "HH_TRAILING=four  # the comment goes\n"
        "HH_EMPTY=\n"
        "HH_SET=from the file\n"
    )
    for name in ["HH_ONE", "HH_QUOTED", "HH_SINGLE", "HH_TRAILING", "HH_EMPTY"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HH_SET", "from the environment")

    read_env_file(path)

    assert [os.environ[name] for name in ["HH_ONE", "HH_QUOTED", "HH_SINGLE", "HH_TRAILING", "HH_EMPTY"]] == [
        "1",
        "two words # not a comment",
        "three",
        "four",
        "",
    ]
    assert os.environ["HH_SET"] == "from the environment"


def test_a_line_that_is_not_a_setting_is_named(tmp_path):
    path = tmp_path / ".env"
    path.write_text("PORT=8123\nthis is not a setting\n")

    with pytest.raises(ConfigurationError, match=r"line 2: is not KEY=VALUE"):
        read_env_file(path)


def test_a_missing_env_file_is_fine(tmp_path):
    read_env_file(tmp_path / "nothing-here")


@pytest.mark.django_db
def test_ensure_admin_prints_the_address_the_app_is_at(settings, capsys):
    settings.SITE_URL = "http://127.0.0.1:8123"

    call_command("ensure_admin")

    assert "Log in at http://127.0.0.1:8123/ with" in capsys.readouterr().out

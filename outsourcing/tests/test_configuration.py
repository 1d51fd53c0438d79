"""Start-up with bad or production configuration, run as a real `manage.py` process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7!qk2@9z$Lm4#Rt8&Vw1^Bn6*Hc3(Jp5)Sd0-Fg+Ye_Ua=Io-production-test-key",
    "ALLOWED_HOSTS": "hands.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://hands.example.com",
}


def manage(*args, **environment):
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("DATABASE_URL", "postgres//nowhere", "DATABASE_URL is not a usable database URL"),
        ("DATABASE_URL", "postgres://user@localhost:port/hands", "DATABASE_URL is not a usable database URL"),
        ("DATABASE_URL", "postgres://localhost:5432", "DATABASE_URL names no database"),
        ("CELERY_BROKER_URL", "localhost:6379", "CELERY_BROKER_URL must start with one of"),
        ("CELERY_BROKER_URL", "redis://localhost:notaport/0", "CELERY_BROKER_URL is not a usable broker URL"),
        ("CELERY_BROKER_URL", "filesystem://", "CELERY_BROKER_URL must name a folder"),
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("MFA_REQUIRED_FOR", "owners,everyone", "MFA_REQUIRED_FOR may only name assistants, owners"),
    ],
)
def test_a_malformed_variable_stops_start_up_with_one_line_naming_it(variable, value, complaint):
    result = manage("check", **{variable: value})

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(f"Configuration error: {complaint}"), result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": ""})

    assert result.returncode != 0
    assert result.stderr.strip() == "Configuration error: SECRET_KEY must be set when DEBUG is off."


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_static_files_collect_with_hashed_names(tmp_path):
    result = manage("collectstatic", "--no-input", **PRODUCTION, STATIC_ROOT=str(tmp_path))

    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/bootstrap/css/bootstrap.min.css" in manifest
    assert "css/app.css" in manifest

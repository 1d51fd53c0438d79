"""Start-up with bad or production configuration, run as a real `manage.py` process."""

import json
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
# Several machines: the broker (and so the cache) in Redis, the uploaded files in S3. Nothing
# connects to them during the checks, so the addresses need not answer.
SEVERAL_MACHINES = {
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "MEDIA_STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": "hands-files",
    "AWS_S3_ENDPOINT_URL": "https://s3.example.com",
    "AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY",
    "AWS_SECRET_ACCESS_KEY": "example-secret-access-key",
    "AWS_S3_REGION_NAME": "eu-central-1",
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
        ("MEDIA_STORAGE", "ftp", "MEDIA_STORAGE must be one of local, s3, not 'ftp'"),
        ("MEDIA_STORAGE", "s3", "AWS_STORAGE_BUCKET_NAME must be set when MEDIA_STORAGE is s3"),
        ("CACHE_URL", "memcached://localhost", "CACHE_URL must start with redis:// or rediss://"),
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


@pytest.mark.parametrize(
    "shared",
    [
        SEVERAL_MACHINES,
        {**SEVERAL_MACHINES, "CELERY_BROKER_URL": "", "CACHE_URL": "redis://redis.internal/1"},
    ],
    ids=["cache in the broker's Redis", "cache in its own Redis"],
)
def test_production_settings_on_several_machines_pass_the_deployment_checklist(shared):
    result = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION, **shared)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_s3_variables_reach_the_storage_under_django_storages_names():
    show = (
        "import json; from django.core.files.storage import storages; s = storages['default']; "
        "print(json.dumps([type(s).__name__, s.bucket_name, s.endpoint_url, "
        "s.access_key, s.secret_key, s.region_name, s.default_acl, s.querystring_expire, s.file_overwrite]))"
    )

    result = manage("shell", "--no-imports", "-c", show, **PRODUCTION, **SEVERAL_MACHINES)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "S3Storage",
        "hands-files",
        "https://s3.example.com",
        "AKIAEXAMPLEKEY",
        "example-secret-access-key",
        "eu-central-1",
        "private",
        60,
        False,
    ]


def test_production_without_redis_is_warned_that_rate_limits_count_per_process():
    result = manage("check", "--deploy", **PRODUCTION)

    assert result.returncode == 0, result.stderr  # a warning, not an error: one web process is fine
    assert "(outsourcing.W001) The cache is LocMemCache" in result.stderr
    assert "System check identified 1 issue (0 silenced)." in result.stderr


def test_production_with_a_redis_broker_shares_it_with_the_cache_and_development_does_not():
    show = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    redis_broker = {"CELERY_BROKER_URL": "redis://redis.internal:6379/0"}

    production = manage("shell", "--no-imports", "-c", show, **PRODUCTION, **redis_broker)
    development = manage("shell", "--no-imports", "-c", show, **redis_broker, DEBUG="true")

    assert production.stdout.strip() == "django.core.cache.backends.redis.RedisCache", production.stderr
    assert development.stdout.strip() == "django.core.cache.backends.locmem.LocMemCache", development.stderr


def test_production_static_files_collect_with_hashed_names(tmp_path):
    result = manage("collectstatic", "--no-input", **PRODUCTION, STATIC_ROOT=str(tmp_path))

    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/bootstrap/css/bootstrap.min.css" in manifest
    assert "css/app.css" in manifest

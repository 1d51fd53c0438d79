"""/healthz: what a load balancer or a monitor sees of the database, the broker, the file
storage and the cache."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from outsourcing.celery import app as celery_app

pytestmark = pytest.mark.django_db

UNUSED_PORT_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def assert_not_cached(response):
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control or "max-age=0" in cache_control, cache_control


def test_it_answers_ok_without_login_when_the_database_and_broker_work(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["down"] == []
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["storage"] == "ok"
    assert body["cache"] == "ok"
    assert_not_cached(response)


def test_its_storage_probe_leaves_no_file_behind(client, media_in_tmp):
    client.get(reverse("healthz"))

    assert [path for path in media_in_tmp.rglob("*") if path.is_file()] == []


def test_it_answers_ok_with_the_files_in_s3(client, s3_storage, s3_server):
    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["storage"] == "ok"
    assert s3_server.objects(s3_storage) == {}  # the probe was deleted


def test_it_answers_503_naming_the_storage_when_the_bucket_does_not_exist(client, s3_storage, settings):
    settings.AWS_STORAGE_BUCKET_NAME = "no-such-bucket"

    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["down"] == ["storage"]
    assert body["storage"] == "storage unusable: NoSuchBucket"
    assert_not_cached(response)


def test_it_answers_503_naming_the_storage_when_the_upload_folder_cannot_exist(client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"

    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["down"] == ["storage"]
    assert body["storage"].startswith("storage unusable: ")


def test_it_answers_503_naming_the_cache_when_its_redis_does_not_answer(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": UNUSED_PORT_URL}
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["down"] == ["cache"]
    assert body["cache"] == "cache unreachable: ConnectionError"
    assert_not_cached(response)


def test_it_answers_503_naming_the_broker_when_its_folder_cannot_exist(client, settings, tmp_path):
    # A folder inside a regular file can never be created, even by root, whom chmod does not stop.
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    folder = blocker / "broker"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "processed_folder": str(folder / "processed"),
    }

    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["broker"]
    assert str(folder) in body["broker"]
    assert body["database"] == "ok"
    assert_not_cached(response)


def test_it_answers_503_naming_the_broker_when_no_broker_server_answers(client, settings, monkeypatch):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    # Celery prefers these variables to its configuration, so they must not name the real broker.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setattr(celery_app.conf, "broker_url", UNUSED_PORT_URL)

    response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    body = response.json()
    assert body["status"] == "down"
    assert body["down"] == ["broker"]
    assert body["broker"].startswith("broker unreachable")
    assert_not_cached(response)


def test_it_refuses_post(client):
    # A probe only reads; nothing may change state through the one public URL besides login.
    response = client.post(reverse("healthz"))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED

"""/healthz: what a load balancer or a monitor sees of the database and the broker."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from outsourcing.celery import app as celery_app

pytestmark = pytest.mark.django_db

UNUSED_PORT_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


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

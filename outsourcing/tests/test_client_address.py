"""The client's address behind our TLS proxy: read from X-Forwarded-For only when the app is
told it runs behind the proxy, and only the hop our own proxy wrote."""

from http import HTTPStatus

import pytest
from django.test import RequestFactory
from django.urls import reverse

from common.client_address import client_address

PROXY = "10.0.0.5"


def address_of(settings, *, behind_proxy, proxies=1, forwarded=None):
    settings.BEHIND_TLS_PROXY = behind_proxy
    settings.TRUSTED_PROXY_COUNT = proxies
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=PROXY, **extra))


def test_without_the_proxy_setting_the_forwarded_header_is_ignored(settings):
    assert address_of(settings, behind_proxy=False, forwarded="203.0.113.7") == PROXY


def test_behind_one_proxy_the_right_most_hop_is_the_client(settings):
    # The client typed the first entry itself; our proxy appended the second.
    assert address_of(settings, behind_proxy=True, forwarded="192.0.2.1, 203.0.113.7") == "203.0.113.7"


def test_behind_two_proxies_the_second_hop_from_the_right_is_the_client(settings):
    forwarded = "192.0.2.1, 203.0.113.7, 10.0.0.9"
    assert address_of(settings, behind_proxy=True, proxies=2, forwarded=forwarded) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", "203.0.113.7\x00"])
def test_a_missing_or_malformed_forwarded_header_falls_back_to_the_connection(settings, forwarded):
    assert address_of(settings, behind_proxy=True, forwarded=forwarded) == PROXY


def test_fewer_hops_than_proxies_falls_back_to_the_connection(settings):
    assert address_of(settings, behind_proxy=True, proxies=2, forwarded="203.0.113.7") == PROXY


@pytest.mark.django_db
def test_failed_logins_behind_the_proxy_lock_out_only_the_client_that_made_them(client, owner, settings):
    settings.BEHIND_TLS_PROXY = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": "olivia", "password": "a-wrong-guess"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )

    response = client.post(
        reverse("login"),
        {"username": "olivia", "password": "a-long-test-password"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )

    assert response.status_code == HTTPStatus.FOUND
    assert client.session.get("_auth_user_id") == str(owner.pk)

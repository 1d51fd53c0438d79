"""Two-factor login: after the password, a code from an authenticator app or a recovery code.

The Owner role and superusers must give one (MFA_REQUIRED_FOR); anyone else may turn it on.
These tests log in through the real login form and code page; the last one does it in Chromium.
"""

import base64
import re
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects, assertTemplateUsed

from common.roles import OWNER
from conftest import make_user
from dashboard import two_factor_services as services
from dashboard.two_factor_views import SETUP_KEY_SESSION_KEY
from outsourcing.tests.authenticator_app import authenticator_code

# The fixtures (browser, new_page, owner_user, owner_page) come in by name, as pytest needs.
from outsourcing.tests.browser import *  # noqa: F403
from outsourcing.tests.browser import screenshot

PASSWORD = "a-long-test-password"  # the one conftest.make_user gives every user
WRONG_CODE = "000000"


def log_in(client, username, password=PASSWORD, url_name="login", **data):
    return client.post(reverse(url_name), {"username": username, "password": password, **data})


def enter_code(client, code, **data):
    return client.post(reverse("accounts:verify"), {"code": code, **data})


def asks_for_the_code(response, next_="/"):
    """True when `response` sends to the code page, which then goes on to `next_`."""
    if response.status_code != HTTPStatus.FOUND:
        return False
    location = urlsplit(response["Location"])
    return location.path == reverse("accounts:verify") and parse_qs(location.query)["next"] == [next_]


@pytest.fixture
def phone(owner):
    """The owner's authenticator app, set up on an earlier login."""
    return TOTPDevice.objects.create(user=owner, name="Phone", confirmed=True)


@pytest.fixture
def no_throttle(settings):
    # django-otp also makes the next try wait a second or more after a wrong code; off where
    # a test types the right code straight after a wrong one, so only axes' count is at play.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# A password alone


def test_an_owners_password_alone_does_not_reach_the_dashboard(client, owner, phone):
    response = log_in(client, "olivia")

    assert client.session["_auth_user_id"] == str(owner.pk)
    assertRedirects(response, reverse("dashboard"), fetch_redirect_response=False)
    assert asks_for_the_code(client.get(reverse("dashboard")))
    assert asks_for_the_code(client.get(reverse("projects:list")), "/projects/")


def test_an_owners_password_in_the_admin_login_does_not_reach_the_admin(client, owner, phone):
    response = log_in(client, "olivia", url_name="admin:login", next="/admin/")

    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert asks_for_the_code(client.get("/admin/"), "/admin/")
    changelist = reverse("admin:projects_project_changelist")
    assert asks_for_the_code(client.get(changelist), changelist)
    # Nor does a post: the admin's writes are behind the same step.
    assert asks_for_the_code(client.post(reverse("admin:auth_user_add"), {}), reverse("admin:auth_user_add"))


def test_a_half_logged_in_session_opens_only_the_code_page_and_logout(client, owner, phone):
    log_in(client, "olivia")

    assert client.get(reverse("accounts:verify")).status_code == HTTPStatus.OK
    assert asks_for_the_code(client.get(reverse("password_change")), reverse("password_change"))
    assert client.get(reverse("healthz")).status_code in (HTTPStatus.OK, HTTPStatus.SERVICE_UNAVAILABLE)
    assertRedirects(client.post(reverse("logout")), reverse("login"))
    assert "_auth_user_id" not in client.session


def test_the_code_page_shows_no_menu_of_the_pages_it_will_not_open(client, owner, phone):
    log_in(client, "olivia")

    page = client.get(reverse("accounts:verify"))

    assertContains(page, "Your code, please")
    assertNotContains(page, reverse("freelancers:list"))
    assertContains(page, "Not olivia? Log out")


# The code


def test_a_valid_code_reaches_the_dashboard(client, owner, phone):
    log_in(client, "olivia")

    response = enter_code(client, authenticator_code(phone), next="/projects/")

    assertRedirects(response, "/projects/")
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_the_code_step_gets_a_new_session_key(client, owner, phone):
    log_in(client, "olivia")
    before = client.cookies["sessionid"].value

    enter_code(client, authenticator_code(phone))

    assert client.cookies["sessionid"].value != before


def test_a_wrong_code_is_refused_with_a_plain_error(client, owner, phone):
    log_in(client, "olivia")

    response = enter_code(client, WRONG_CODE)

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "That code is not right, or was already used")
    assert asks_for_the_code(client.get(reverse("dashboard")))


def test_a_replayed_code_is_refused(client, owner, phone):
    log_in(client, "olivia")
    code = authenticator_code(phone)
    enter_code(client, code)
    client.post(reverse("logout"))

    log_in(client, "olivia")
    response = enter_code(client, code)

    assertContains(response, "That code is not right, or was already used")
    assert asks_for_the_code(client.get(reverse("dashboard")))


def test_the_code_page_does_not_send_on_to_another_site(client, owner, phone):
    log_in(client, "olivia")

    response = enter_code(client, authenticator_code(phone), next="https://evil.example/")

    assertRedirects(response, reverse("dashboard"))


def test_each_login_asks_for_the_code_again(client, owner, phone):
    log_in(client, "olivia")
    enter_code(client, authenticator_code(phone))

    log_in(client, "olivia", url_name="admin:login")  # the same person again, in the same browser

    assert asks_for_the_code(client.get(reverse("dashboard")))


# Recovery codes


def test_a_recovery_code_works_once(client, owner, phone):
    code = services.replace_recovery_codes(user=owner)[0]
    log_in(client, "olivia")

    accepted = enter_code(client, f"{code[:4]}-{code[4:]}".upper())  # as shown, in capitals

    assertRedirects(accepted, reverse("dashboard"))
    client.post(reverse("logout"))
    log_in(client, "olivia")
    refused = enter_code(client, code)
    assertContains(refused, "That code is not right, or was already used")
    assert StaticToken.objects.filter(device__user=owner).count() == services.RECOVERY_CODE_COUNT - 1


def test_new_recovery_codes_replace_the_old_ones(owner_client, owner):
    old = services.replace_recovery_codes(user=owner)

    response = owner_client.post(reverse("accounts:recovery_codes"))

    shown = re.findall(r"<li>(\w{4}-\w{4})</li>", response.text)
    assert len(shown) == services.RECOVERY_CODE_COUNT
    stored = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    assert stored == {code.replace("-", "") for code in shown}
    assert not stored & set(old)


# Setting it up


def setup_code(client):
    """The code the app shows once it has read the key from the setup page."""
    key = client.session[SETUP_KEY_SESSION_KEY]
    return f"{totp(bytes.fromhex(key)):06d}"


def test_an_owner_without_an_app_sets_one_up_on_the_first_login(client, owner):
    log_in(client, "olivia")

    response = client.get(reverse("dashboard"), follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('accounts:setup')}?next=%2F"
    assertContains(response, "Set up two-factor login")
    image = re.search(r'<img class="[^"]*qr-code" src="data:image/svg\+xml;base64,([^"]+)"', response.text)
    assert b"<svg" in base64.b64decode(image.group(1))
    key = bytes.fromhex(client.session[SETUP_KEY_SESSION_KEY])
    assertContains(response, " ".join(re.findall(".{4}", base64.b32encode(key).decode())))
    assert not TOTPDevice.objects.filter(user=owner).exists()  # nothing is stored until a code proves it


def test_setting_up_shows_the_recovery_codes_once_and_completes_the_login(client, owner):
    log_in(client, "olivia")
    client.get(reverse("accounts:setup"))

    response = client.post(reverse("accounts:setup"), {"code": setup_code(client), "next": "/projects/"})

    assertTemplateUsed(response, "dashboard/two_factor/recovery_codes.html")
    codes = re.findall(r"<li>(\w{4}-\w{4})</li>", response.text)
    assert len(codes) == services.RECOVERY_CODE_COUNT
    assertContains(response, 'href="/projects/"')
    assert TOTPDevice.objects.get(user=owner).confirmed
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK
    again = client.get(reverse("accounts:setup"))
    assertContains(again, "Two-factor login is on")
    assert not any(code in again.text for code in codes)


def test_a_wrong_code_at_setup_turns_nothing_on(client, owner):
    log_in(client, "olivia")
    client.get(reverse("accounts:setup"))

    response = client.post(reverse("accounts:setup"), {"code": WRONG_CODE})

    assertContains(response, "That code is not right")
    assert not TOTPDevice.objects.filter(user=owner, confirmed=True).exists()
    assert asks_for_the_code(client.get(reverse("dashboard")))


def test_a_password_alone_cannot_replace_the_app_already_set_up(client, owner, phone):
    log_in(client, "olivia")

    page = client.get(reverse("accounts:setup"))
    posted = client.post(reverse("accounts:setup"), {"code": "123456"})

    assert asks_for_the_code(page) and asks_for_the_code(posted)
    assert list(TOTPDevice.objects.filter(user=owner)) == [phone]


# Who must, who may


def test_an_assistant_logs_in_with_the_password_alone(client, assistant):
    response = log_in(client, "sam")

    assertRedirects(response, reverse("dashboard"))


def test_an_assistant_may_turn_it_on_and_is_then_asked_for_a_code(client, assistant):
    log_in(client, "sam")
    page = client.get(reverse("accounts:setup"))
    assertContains(page, "a stolen password alone no longer opens your account")
    client.post(reverse("accounts:setup"), {"code": setup_code(client)})
    client.post(reverse("logout"))

    log_in(client, "sam")

    assert asks_for_the_code(client.get(reverse("dashboard")))
    enter_code(client, authenticator_code(TOTPDevice.objects.get(user=assistant)))
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK


def test_the_setting_can_require_it_of_assistants(client, assistant, settings):
    settings.MFA_REQUIRED_FOR = frozenset({"owners", "assistants"})

    log_in(client, "sam")

    assertRedirects(client.get(reverse("accounts:verify")), f"{reverse('accounts:setup')}?next=%2F")


def test_a_superuser_outside_the_owner_role_needs_it_too(client, django_user_model):
    make_user(django_user_model, "root", is_staff=True, is_superuser=True)

    log_in(client, "root")

    assert asks_for_the_code(client.get("/admin/"), "/admin/")


def test_the_setting_can_leave_owners_out(client, owner, settings):
    settings.MFA_REQUIRED_FOR = frozenset({"superusers"})

    response = log_in(client, "olivia")

    assertRedirects(response, reverse("dashboard"))


def test_an_owner_turns_off_an_assistants_app_in_the_admin(owner_client, client, assistant):
    app = TOTPDevice.objects.create(user=assistant, name="Phone", confirmed=True)
    services.replace_recovery_codes(user=assistant)

    response = owner_client.post(
        reverse("admin:dashboard_authenticator_changelist"),
        {"action": "turn_off", "_selected_action": [app.pk]},
        follow=True,
    )

    assertContains(response, "Two-factor login is off for sam.")
    assert not TOTPDevice.objects.filter(user=assistant).exists()
    assert not StaticToken.objects.filter(device__user=assistant).exists()
    assertRedirects(log_in(client, "sam"), reverse("dashboard"))


def test_the_admin_never_shows_the_secret_key(owner_client, phone):
    page = owner_client.get(reverse("admin:dashboard_authenticator_change", args=[phone.pk]))

    assert page.status_code == HTTPStatus.OK
    assert phone.key not in page.text
    assert base64.b32encode(phone.bin_key).decode() not in page.text


# Login throttling counts wrong codes


def test_axes_locks_the_account_after_the_limit_of_wrong_codes(client, owner, phone, settings):
    log_in(client, "olivia")

    responses = [enter_code(client, WRONG_CODE) for _ in range(settings.AXES_FAILURE_LIMIT)]

    assert [r.status_code for r in responses[:-1]] == [HTTPStatus.OK] * (settings.AXES_FAILURE_LIMIT - 1)
    assert responses[-1].status_code == HTTPStatus.TOO_MANY_REQUESTS
    assertTemplateUsed(responses[-1], "registration/locked_out.html")
    assert "_auth_user_id" not in client.session  # the half-done login is ended
    relogin = log_in(client, "olivia")
    assert relogin.status_code == HTTPStatus.TOO_MANY_REQUESTS  # locked like wrong passwords


def test_wrong_passwords_and_wrong_codes_add_up(client, owner, phone, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "olivia", "not-the-password")
    log_in(client, "olivia")

    response = enter_code(client, WRONG_CODE)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_locked_out_account_is_refused_even_the_right_code(client, owner, phone, settings, no_throttle):
    log_in(client, "olivia")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        enter_code(client, WRONG_CODE)
    other = type(client)()
    log_in(other, "olivia")
    enter_code(other, WRONG_CODE)  # the limit, reached in another tab

    response = enter_code(client, authenticator_code(phone))

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard"))["Location"].startswith(reverse("login"))


def test_the_right_password_again_does_not_forget_the_wrong_codes(client, owner, phone, settings):
    log_in(client, "olivia")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        enter_code(client, WRONG_CODE)
    client.post(reverse("logout"))
    log_in(client, "olivia")

    response = enter_code(client, WRONG_CODE)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_complete_login_forgets_the_failures_before_it(client, owner, phone, settings, no_throttle):
    log_in(client, "olivia", "not-the-password")
    log_in(client, "olivia")
    enter_code(client, WRONG_CODE)
    assert AccessAttempt.objects.get(username="olivia").failures_since_start == 2

    enter_code(client, authenticator_code(phone))

    assert not AccessAttempt.objects.filter(username="olivia").exists()


# In a browser


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_owner_sets_up_the_app_from_the_qr_page_then_logs_in_with_codes(new_page, django_user_model):
    user = django_user_model.objects.create_user(
        username="olivia", password=PASSWORD, first_name="Olivia", is_staff=True
    )
    user.groups.add(Group.objects.get(name=OWNER))
    page = new_page(width=390)  # a phone, as most people will set it up from one

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Set up two-factor login")).to_be_visible()
    qr_code = page.get_by_role("img", name="QR code that adds Helping Hands to your authenticator app")
    expect(qr_code).to_be_visible()
    assert qr_code.evaluate("image => image.complete && image.naturalWidth > 0")
    screenshot(page, "two-factor-setup.png")
    # What a person types when the phone cannot scan: the key shown in text.
    key = base64.b32decode(page.locator("#setup-key").inner_text().replace(" ", ""))
    page.get_by_label("Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Turn on two-factor login").click()

    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == services.RECOVERY_CODE_COUNT
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", name="Good to see you, Olivia")).to_be_visible()

    page = new_page(width=390)  # another day, another browser
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your code, please")).to_be_visible()
    page.get_by_label("Code").fill(codes[0])  # the phone is at home: a recovery code
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Good to see you, Olivia")).to_be_visible()

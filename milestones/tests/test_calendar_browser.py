"""The calendar page in a real browser: revoking the address asks first."""

import pytest
from django.urls import reverse

from milestones.models import CalendarFeed

# The fixtures (browser, new_page, owner_user, owner_page) come in by name, as pytest needs.
from outsourcing.tests.browser import *  # noqa: F403

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_revoking_the_calendar_address_asks_before_it_acts(owner_page, owner_user):
    old = CalendarFeed.rotate(owner_user)
    asked = []
    # The page's own handler clicks OK; this one only notes what was asked.
    owner_page.on("dialog", lambda dialog: asked.append(dialog.message))
    owner_page.goto(reverse("milestones:calendar"))

    owner_page.get_by_role("button", name="Revoke and make a new one").click()
    owner_page.get_by_text("the old one no longer works").wait_for()

    assert asked == [
        "Revoke this calendar address? "
        "Calendars subscribed to it stop updating until you give them the new one."
    ]
    assert CalendarFeed.objects.get(user=owner_user).secret != old.secret

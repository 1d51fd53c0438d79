"""The access register: what a freelancer holds, when it must go, and when it went."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from freelancers import services
from freelancers.models import AccessGrant
from freelancers.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def refusal_of_revocation(grant, revoked_on, by):
    """The words said on "revoked_on" when the revocation is refused."""
    with pytest.raises(ValidationError) as refused:
        services.record_revocation(grant=grant, revoked_on=revoked_on, by=by)
    assert "revoked_on" in refused.value.message_dict, refused.value.message_dict
    words = " ".join(refused.value.message_dict["revoked_on"])
    assert words.strip()
    return words.lower()


def test_recording_a_revocation_stores_the_date_and_who_did_it(owner):
    today = timezone.localdate()
    grant = AccessGrantFactory(granted_on=today - 10 * DAY)

    services.record_revocation(grant=grant, revoked_on=today - 2 * DAY, by=owner)

    grant.refresh_from_db()
    assert grant.revoked_on == today - 2 * DAY
    assert grant.revoked_by == owner
    assert grant.history.first().history_user == owner


def test_access_can_be_revoked_on_the_day_it_was_granted(owner):
    today = timezone.localdate()
    grant = AccessGrantFactory(granted_on=today, revoke_by=today + DAY)

    services.record_revocation(grant=grant, revoked_on=today, by=owner)

    grant.refresh_from_db()
    assert grant.revoked_on == today


def test_a_revocation_before_the_grant_date_is_refused_and_changes_nothing(owner):
    today = timezone.localdate()
    grant = AccessGrantFactory(granted_on=today - 10 * DAY)

    words = refusal_of_revocation(grant, today - 11 * DAY, owner)

    assert "before" in words
    grant.refresh_from_db()
    assert grant.revoked_on is None
    assert grant.revoked_by is None


def test_a_revocation_in_the_future_is_refused_and_changes_nothing(owner):
    grant = AccessGrantFactory()

    words = refusal_of_revocation(grant, timezone.localdate() + DAY, owner)

    assert "future" in words
    grant.refresh_from_db()
    assert grant.revoked_on is None
    assert grant.revoked_by is None


def test_a_second_revocation_is_refused_and_keeps_the_first(owner, assistant):
    today = timezone.localdate()
    grant = AccessGrantFactory(granted_on=today - 10 * DAY)
    services.record_revocation(grant=grant, revoked_on=today - 3 * DAY, by=owner)

    words = refusal_of_revocation(grant, today, assistant)

    assert "already" in words
    grant.refresh_from_db()
    assert grant.revoked_on == today - 3 * DAY
    assert grant.revoked_by == owner


def test_a_second_revocation_from_a_copy_read_earlier_is_refused_and_keeps_the_first(owner, assistant):
    today = timezone.localdate()
    grant = AccessGrantFactory(granted_on=today - 10 * DAY)
    # Two people open the same grant; the owner records the revocation first.
    owners_copy = AccessGrant.objects.get(pk=grant.pk)
    assistants_copy = AccessGrant.objects.get(pk=grant.pk)
    services.record_revocation(grant=owners_copy, revoked_on=today - 3 * DAY, by=owner)

    refusal_of_revocation(assistants_copy, today, assistant)

    grant.refresh_from_db()
    assert grant.revoked_on == today - 3 * DAY
    assert grant.revoked_by == owner


def test_open_and_overdue_select_the_right_grants():
    granted_on = datetime.date(2024, 1, 2)
    today = datetime.date(2024, 6, 15)

    def grant(revoke_by, revoked_on=None):
        return AccessGrantFactory(granted_on=granted_on, revoke_by=revoke_by, revoked_on=revoked_on)

    open_past_due = grant(datetime.date(2024, 6, 14))
    open_long_past_due = grant(datetime.date(2024, 2, 1))
    open_due_today = grant(today)
    open_due_later = grant(datetime.date(2024, 7, 1))
    revoked_past_due = grant(datetime.date(2024, 6, 1), revoked_on=datetime.date(2024, 6, 10))
    revoked_in_time = grant(datetime.date(2024, 7, 1), revoked_on=datetime.date(2024, 3, 1))

    assert set(AccessGrant.objects.open()) == {
        open_past_due,
        open_long_past_due,
        open_due_today,
        open_due_later,
    }
    assert set(AccessGrant.objects.overdue(today)) == {open_past_due, open_long_past_due}
    assert revoked_past_due not in AccessGrant.objects.overdue(today)
    assert revoked_in_time not in AccessGrant.objects.open()


def test_overdue_without_a_date_means_as_of_today():
    today = timezone.localdate()
    yesterday_due = AccessGrantFactory(revoke_by=today - DAY)
    AccessGrantFactory(revoke_by=today)

    assert list(AccessGrant.objects.overdue()) == [yesterday_due]


def test_is_overdue_agrees_with_the_overdue_queryset():
    today = timezone.localdate()
    grants = [
        AccessGrantFactory(revoke_by=today - 5 * DAY),
        AccessGrantFactory(revoke_by=today - DAY),
        AccessGrantFactory(revoke_by=today),
        AccessGrantFactory(revoke_by=today + DAY),
        AccessGrantFactory(revoke_by=today - 5 * DAY, revoked_on=today - 6 * DAY),
        AccessGrantFactory(revoke_by=today + DAY, revoked_on=today),
    ]
    overdue = set(AccessGrant.objects.overdue())

    for grant in grants:
        grant.refresh_from_db()
        assert grant.is_overdue == (grant in overdue), (grant.revoke_by, grant.revoked_on)
    assert len(overdue) == 2


def test_an_access_grant_has_no_field_that_could_hold_a_secret():
    words = ("password", "passwd", "secret", "token", "credential", "api_key")

    names = [field.name for field in AccessGrant._meta.get_fields()]
    names += [field.name for field in AccessGrant.history.model._meta.get_fields()]

    assert "system" in names  # the list is real, not empty
    assert [name for name in names if any(word in name.lower() for word in words)] == []

import datetime
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from freelancers.models import AccessGrant, Freelancer, Reference
from freelancers.tests.factories import (
    AccessGrantFactory,
    FreelancerFactory,
    ReferenceFactory,
    SkillFactory,
    vetted_freelancer,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:freelancers_freelancer_changelist")
ADMIN_MODELS = ["freelancer", "skill", "reference", "accessgrant"]


def run_action(client, action, objects, url=CHANGELIST, **extra):
    """Post the changelist's action form, as choosing an action and pressing Go does."""
    data = {"action": action, "index": "0", ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(url, data, follow=True)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def staff_assistant(assistant, client):
    """An Assistant let into the admin: staff status without the Owner's permissions."""
    assistant.is_staff = True
    assistant.save()
    client.force_login(assistant)
    return client


# Every admin page opens --------------------------------------------------------


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_the_changelist_opens(admin_client, model):
    AccessGrantFactory(freelancer=FreelancerFactory(name="Ana Souza"))
    ReferenceFactory(name="Ana's reference")
    SkillFactory(name="Ana's skill")

    response = admin_client.get(reverse(f"admin:freelancers_{model}_changelist"))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_the_changelist_searches(admin_client, model):
    AccessGrantFactory(freelancer=FreelancerFactory(name="Ana Souza"))

    response = admin_client.get(reverse(f"admin:freelancers_{model}_changelist"), {"q": "Ana"})

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_the_add_page_opens(admin_client, model):
    response = admin_client.get(reverse(f"admin:freelancers_{model}_add"))

    assert response.status_code == HTTPStatus.OK


def test_the_freelancer_change_page_and_its_history_open(admin_client):
    freelancer = vetted_freelancer()
    AccessGrantFactory(freelancer=freelancer)

    change = admin_client.get(reverse("admin:freelancers_freelancer_change", args=[freelancer.pk]))
    history = admin_client.get(reverse("admin:freelancers_freelancer_history", args=[freelancer.pk]))

    assert change.status_code == HTTPStatus.OK
    assert history.status_code == HTTPStatus.OK


def test_the_search_finds_freelancers_by_skill(admin_client):
    ana = FreelancerFactory(name="Ana Souza")
    ana.skills.add(SkillFactory(name="Bookkeeping"))
    FreelancerFactory(name="Kwame Mensah")

    response = admin_client.get(CHANGELIST, {"q": "bookkeep"})

    assert [freelancer.name for freelancer in response.context["cl"].result_list] == ["Ana Souza"]


def test_the_changelist_runs_the_same_queries_for_3_and_for_30_freelancers(
    owner_client, django_assert_num_queries
):
    for count in (3, 30):
        while Freelancer.objects.count() < count:
            freelancer = vetted_freelancer()
            freelancer.skills.add(SkillFactory(name="SEO"))
            AccessGrantFactory(freelancer=freelancer, overdue=True)
        # 1 session, 2 user, 3-4 the user's and their groups' permissions, 5 skills for the
        # filter, 6 count of the page's rows, 7 count of all rows, 8 the freelancers with
        # their vetting, trust and overdue-access counts as subqueries.
        with django_assert_num_queries(8):
            response = owner_client.get(CHANGELIST)
        assert len(response.context["cl"].result_list) == count
        assert "100%" in response.content.decode()  # vetting read from the annotations


# The approval rule holds in the admin too ---------------------------------------


def changelist_edit(client, freelancer, *, status, hourly_rate):
    """Post the changelist's editable rows as the admin's Save button does."""
    return client.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(freelancer.pk),
            "form-0-status": status,
            "form-0-hourly_rate": hourly_rate,
            "_save": "Save",
        },
    )


def test_approving_in_the_changelist_without_vetting_is_refused_with_the_reason(owner_client):
    freelancer = FreelancerFactory(status=Freelancer.Status.TRIAL, hourly_rate=Decimal("30.00"))

    response = changelist_edit(owner_client, freelancer, status="approved", hourly_rate="45.00")

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "No reference has given a positive outcome yet." in content
    assert "No interview is recorded." in content
    freelancer.refresh_from_db()
    assert freelancer.status == Freelancer.Status.TRIAL
    assert freelancer.hourly_rate == Decimal("30.00")


def test_approving_in_the_changelist_works_once_the_vetting_is_done(owner_client):
    freelancer = vetted_freelancer(hourly_rate=Decimal("30.00"))

    response = changelist_edit(owner_client, freelancer, status="approved", hourly_rate="45.00")

    assert response.status_code == HTTPStatus.FOUND
    freelancer.refresh_from_db()
    assert (freelancer.status, freelancer.hourly_rate) == (Freelancer.Status.APPROVED, Decimal("45.00"))


def test_approving_in_the_change_form_without_vetting_is_refused_with_the_reason(owner_client):
    freelancer = FreelancerFactory(status=Freelancer.Status.VETTING)
    url = reverse("admin:freelancers_freelancer_change", args=[freelancer.pk])
    page = owner_client.get(url)
    data = {
        "name": freelancer.name,
        "email": freelancer.email,
        "timezone": freelancer.timezone,
        "currency": freelancer.currency,
        "status": "approved",
    }
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = owner_client.post(url, data)

    assert response.status_code == HTTPStatus.OK
    assert "No trial job is finished." in response.content.decode()
    freelancer.refresh_from_db()
    assert freelancer.status == Freelancer.Status.VETTING


# Bulk actions -------------------------------------------------------------------


def test_references_can_be_marked_contacted_today_in_bulk(owner_client):
    waiting = ReferenceFactory()
    called_before = ReferenceFactory(
        outcome=Reference.Outcome.POSITIVE, contacted_on=datetime.date(2025, 1, 15)
    )

    response = run_action(
        owner_client,
        "mark_contacted_today",
        [waiting, called_before],
        url=reverse("admin:freelancers_reference_changelist"),
    )

    assert response.status_code == HTTPStatus.OK
    waiting.refresh_from_db()
    called_before.refresh_from_db()
    assert waiting.contacted_on == timezone.localdate()
    assert called_before.contacted_on == datetime.date(2025, 1, 15)
    assert "Marked 1 reference(s) contacted today" in messages_of(response)[0]


def test_moving_to_approved_in_bulk_moves_the_vetted_and_names_the_refused_with_reasons(owner_client):
    ready = vetted_freelancer(name="Ana Souza")
    not_ready = FreelancerFactory(name="Kwame Mensah", status=Freelancer.Status.VETTING)

    response = run_action(owner_client, "move_to_approved", [ready, not_ready])

    ready.refresh_from_db()
    not_ready.refresh_from_db()
    assert ready.status == Freelancer.Status.APPROVED
    assert not_ready.status == Freelancer.Status.VETTING
    moved, refused = messages_of(response)
    assert moved == "Moved to “Approved”: Ana Souza."
    assert refused.startswith("Not moved to “Approved”: Kwame Mensah (")
    assert "No interview is recorded." in refused


def test_moving_back_to_vetting_in_bulk_needs_no_vetting(owner_client):
    freelancers = FreelancerFactory.create_batch(2, status=Freelancer.Status.TRIAL)

    run_action(owner_client, "move_to_vetting", freelancers)

    assert set(Freelancer.objects.values_list("status", flat=True)) == {Freelancer.Status.VETTING}


def test_flagging_do_not_hire_first_asks_for_the_reason(owner_client):
    freelancer = FreelancerFactory(name="Ana Souza")

    response = run_action(owner_client, "flag_do_not_hire", [freelancer])

    assert response.status_code == HTTPStatus.OK
    assert "Ana Souza" in response.content.decode()
    assert 'name="reason"' in response.content.decode()
    freelancer.refresh_from_db()
    assert not freelancer.do_not_hire


def confirm_do_not_hire(client, freelancers, reason):
    """Post the reason page, which leaves out "index" as the admin's confirmation pages do."""
    data = {"action": "flag_do_not_hire", ACTION_CHECKBOX_NAME: [f.pk for f in freelancers], "apply": "1"}
    return client.post(CHANGELIST, {**data, "reason": reason})


def test_flagging_do_not_hire_without_a_reason_is_refused(owner_client):
    freelancer = FreelancerFactory()

    response = confirm_do_not_hire(owner_client, [freelancer], "   ")

    assert response.status_code == HTTPStatus.OK
    assert "Say why these freelancers must not be hired." in response.content.decode()
    freelancer.refresh_from_db()
    assert not freelancer.do_not_hire


def test_flagging_do_not_hire_with_a_reason_flags_every_selected_freelancer(owner_client):
    freelancers = FreelancerFactory.create_batch(2)

    response = confirm_do_not_hire(owner_client, freelancers, "Shared client files publicly.")

    assert response.status_code == HTTPStatus.FOUND
    for freelancer in freelancers:
        freelancer.refresh_from_db()
        assert freelancer.do_not_hire
        assert freelancer.do_not_hire_reason == "Shared client files publicly."


def test_archiving_in_bulk_keeps_the_records(owner_client):
    archived, kept = FreelancerFactory.create_batch(2)

    response = run_action(owner_client, "archive", [archived])

    assert response.status_code == HTTPStatus.OK
    archived.refresh_from_db()
    kept.refresh_from_db()
    assert archived.archived_at is not None
    assert kept.archived_at is None
    assert Freelancer.objects.count() == 2
    filtered = owner_client.get(CHANGELIST, {"archived": "yes"})
    assert list(filtered.context["cl"].result_list) == [archived]


def test_freelancers_cannot_be_deleted_from_the_admin(admin_client):
    freelancer = FreelancerFactory()

    response = admin_client.get(reverse("admin:freelancers_freelancer_delete", args=[freelancer.pk]))
    changelist = admin_client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
    assert Freelancer.objects.filter(pk=freelancer.pk).exists()


def test_an_access_revocation_is_recorded_in_bulk_with_who_did_it(owner_client, owner):
    grant = AccessGrantFactory(overdue=True)

    run_action(
        owner_client,
        "record_revocation_today",
        [grant],
        url=reverse("admin:freelancers_accessgrant_changelist"),
    )

    grant.refresh_from_db()
    assert (grant.revoked_on, grant.revoked_by) == (timezone.localdate(), owner)


# What an Assistant sees ---------------------------------------------------------


def test_an_assistant_in_the_admin_sees_freelancers_but_not_their_access(staff_assistant):
    freelancer = FreelancerFactory(name="Ana Souza")
    AccessGrantFactory(freelancer=freelancer, system="Shopify staff account", overdue=True)

    changelist = staff_assistant.get(CHANGELIST)
    grants = staff_assistant.get(reverse("admin:freelancers_accessgrant_changelist"))
    change = staff_assistant.get(reverse("admin:freelancers_freelancer_change", args=[freelancer.pk]))

    assert changelist.status_code == HTTPStatus.OK
    assert "Ana Souza" in changelist.content.decode()
    assert "access overdue" not in changelist.content.decode()
    assert grants.status_code == HTTPStatus.FORBIDDEN
    assert change.status_code == HTTPStatus.OK
    inline_models = [inline.opts.model for inline in change.context["inline_admin_formsets"]]
    assert Reference in inline_models
    assert AccessGrant not in inline_models
    assert "Shopify staff account" not in change.content.decode()


def test_the_owner_sees_the_access_grants_inline(owner_client):
    freelancer = FreelancerFactory()
    AccessGrantFactory(freelancer=freelancer, system="Shopify staff account")

    change = owner_client.get(reverse("admin:freelancers_freelancer_change", args=[freelancer.pk]))

    assert AccessGrant in [inline.opts.model for inline in change.context["inline_admin_formsets"]]
    assert "Shopify staff account" in change.content.decode()


def test_an_assistant_can_neither_archive_nor_delete(staff_assistant):
    FreelancerFactory()

    response = staff_assistant.get(CHANGELIST)

    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "move_to_trial" in actions
    assert "archive" not in actions
    assert "delete_selected" not in actions

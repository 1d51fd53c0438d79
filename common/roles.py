"""The two roles, Owner and Assistant, as Django groups.

This is the one place that says what each role may do. `migrate` calls
`sync_roles` every time, so a new model's permissions reach the roles as soon
as its migration runs. Later features add their models to ASSISTANT below.
"""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

OWNER = "Owner"
ASSISTANT = "Assistant"

VIEW_AND_EDIT = ("view", "add", "change")

# What an Assistant may do, per model. Nothing here allows "delete", and models
# left out (access grants, payments) stay invisible to an Assistant. Nor does an
# Assistant get projects.view_money: common.policy shows them no amount.
ASSISTANT_PERMISSIONS = {
    "freelancers.freelancer": VIEW_AND_EDIT,
    "freelancers.skill": VIEW_AND_EDIT,
    "freelancers.reference": VIEW_AND_EDIT,
    "freelancers.testimonial": VIEW_AND_EDIT,
    "freelancers.worksample": VIEW_AND_EDIT,
    "freelancers.interview": VIEW_AND_EDIT,
    "projects.project": VIEW_AND_EDIT,  # but not change_project_budget: budgets and buffers are the owner's
    "projects.backup": VIEW_AND_EDIT,
    "projects.assignment": ("view",),
    "projects.review": ("view",),
    "milestones.milestone": VIEW_AND_EDIT,
    "milestones.checkin": VIEW_AND_EDIT,
    # As check-ins: an Assistant reads, adds and reviews delivered files (accepting one and
    # approving its milestone also needs change_milestone, which they have), never deletes.
    "milestones.deliverable": VIEW_AND_EDIT,
}


def assistant_permission_codes():
    """Return {(app_label, codename)} an Assistant should hold."""
    codes = set()
    for model_label, actions in ASSISTANT_PERMISSIONS.items():
        app_label, model_name = model_label.split(".")
        codes.update((app_label, f"{action}_{model_name}") for action in actions)
    return codes


def sync_roles():
    """Create both groups and set their permissions to exactly what this module says."""
    owner, _ = Group.objects.get_or_create(name=OWNER)
    owner.permissions.set(Permission.objects.all())

    wanted = assistant_permission_codes()
    assistant, _ = Group.objects.get_or_create(name=ASSISTANT)
    assistant.permissions.set(
        permission
        for permission in Permission.objects.select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    )


def sync_roles_after_migrate(sender, using="default", **kwargs):
    # Permissions of apps migrated after this one may not exist yet; create them
    # all first so the roles are complete after a single `migrate`.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles()

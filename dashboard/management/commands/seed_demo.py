from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from common.roles import ASSISTANT, OWNER
from dashboard.demo.freelancers import seed_freelancers
from dashboard.demo.projects import seed_projects

# The demo business: an owner and the assistant who helps her run the freelancers.
DEMO_TEAM = [
    {"username": "maria.lopez", "first_name": "Maria", "last_name": "Lopez", "role": OWNER},
    {"username": "sam.okafor", "first_name": "Sam", "last_name": "Okafor", "role": ASSISTANT},
]


class Command(BaseCommand):
    help = "Load demo data. Running it again changes nothing: rows are matched, not added twice."

    @transaction.atomic
    def handle(self, *args, **options):
        team = seed_team()
        owner = get_user_model().objects.get(username=DEMO_TEAM[0]["username"])
        freelancers = seed_freelancers(owner=owner)
        projects = seed_projects(owner=owner)
        self.stdout.write(
            f"Demo data ready ({team} new team accounts, {freelancers} new freelancers, "
            f"{projects} new projects)."
        )


def seed_team():
    User = get_user_model()
    created = 0
    for member in DEMO_TEAM:
        user, was_created = User.objects.get_or_create(
            username=member["username"],
            defaults={
                "first_name": member["first_name"],
                "last_name": member["last_name"],
                "email": f"{member['username']}@example.com",
                "is_staff": member["role"] == OWNER,
            },
        )
        if was_created:
            # Demo accounts cannot log in until the admin sets a password.
            user.set_unusable_password()
            user.save(update_fields=["password"])
            created += 1
        user.groups.set([Group.objects.get(name=member["role"])])
    return created

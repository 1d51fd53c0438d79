import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from common.roles import OWNER


class Command(BaseCommand):
    help = "Create an admin account if there is none, and print its login once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.com")

    def handle(self, *args, username, email, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        # A random password, shown only now, so no known password ever ships.
        password = secrets.token_urlsafe(12)
        admin = User.objects.create_superuser(username=username, email=email, password=password)
        admin.groups.add(Group.objects.get(name=OWNER))
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin account created. Log in at {settings.SITE_URL}/ with\n"
                f"  username: {username}\n  password: {password}\n"
                "This is shown once; change it under your name → Change password, "
                f"or run: python manage.py changepassword {username}\n"
                "After the password, the first login sets up two-factor login: have an authenticator "
                "app on your phone ready to scan the QR code it shows, and keep the recovery codes."
            )
        )

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class AccountsConfig(AppConfig):
    """Logging in: the second step after the password (two-factor login)."""

    name = "accounts"
    verbose_name = "Two-factor login"

    def ready(self):
        from accounts import two_factor

        user_logged_in.connect(two_factor.start, dispatch_uid="accounts.two_factor.start")

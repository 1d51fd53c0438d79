from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Helping Hands"

    def ready(self):
        from common import roles
        from dashboard import broker, two_factor

        # Roles are kept in step with the models on every migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
        broker.prepare_folders()
        # Every login asks for the second factor again, unless the password is all this person needs.
        user_logged_in.connect(two_factor.start, dispatch_uid="dashboard.two_factor.start")

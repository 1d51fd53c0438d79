from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Helping Hands"

    def ready(self):
        from common import roles
        from dashboard import broker

        # Roles are kept in step with the models on every migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
        broker.prepare_folders()

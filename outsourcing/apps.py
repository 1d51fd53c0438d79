from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OutsourcingConfig(AppConfig):
    name = "outsourcing"
    verbose_name = "Helping Hands"

    def ready(self):
        from outsourcing import broker, roles

        # Roles are kept in step with the models on every migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
        broker.prepare_folders()

from axes import apps as axes_apps
from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OutsourcingConfig(AppConfig):
    name = "outsourcing"
    verbose_name = "Helping Hands"
    # This module holds two app configs; "outsourcing" in INSTALLED_APPS means this one.
    default = True

    def ready(self):
        from common import roles
        from outsourcing import broker

        # Roles are kept in step with the models on every migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
        broker.prepare_folders()


class LoginAttemptsConfig(axes_apps.AppConfig):
    """django-axes under a name of its own: its section was called "Axes" and listed
    "Access attempts" beside the freelancers' "Access grants"."""

    default = False
    verbose_name = "Login attempts and lockouts"

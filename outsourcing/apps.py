from axes import apps as axes_apps
from django.apps import AppConfig


class OutsourcingConfig(AppConfig):
    """Configuration only; installed so its migrations (the heartbeat's table, now
    the dashboard's) stay applied on existing databases."""

    name = "outsourcing"
    verbose_name = "Helping Hands"
    # This module holds two app configs; "outsourcing" in INSTALLED_APPS means this one.
    default = True

    def ready(self):
        from outsourcing import checks  # noqa: F401 - registers the deployment checks


class LoginAttemptsConfig(axes_apps.AppConfig):
    """django-axes under a name of its own: its section was called "Axes" and listed
    "Access attempts" beside the freelancers' "Access grants"."""

    default = False
    verbose_name = "Login attempts and lockouts"

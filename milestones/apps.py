from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "milestones"
    verbose_name = "Milestones and check-ins"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from milestones import inbound_webhooks, time_zones

        user_logged_in.connect(time_zones.remember_zone_on_login, dispatch_uid="milestones.remember_zone")
        # Replies by email that an ESP posts to its inbound webhook.
        inbound_webhooks.connect()

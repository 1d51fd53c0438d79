from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice


class Heartbeat(models.Model):
    """When each background process last proved it was alive.

    Beat schedules `record_heartbeat` every minute and a worker runs it, so a
    recent `seen_at` for "worker" means the whole chain works: beat, broker,
    worker and database.
    """

    name = models.CharField(max_length=50, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        # Created by the settings package's first migration, when this model lived there.
        db_table = "outsourcing_heartbeat"

    def __str__(self):
        return f"{self.name} seen at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Authenticator(TOTPDevice):
    """A person's authenticator app, as the admin lists it (django-otp's own model, renamed)."""

    class Meta:
        proxy = True
        verbose_name = "authenticator app"
        verbose_name_plural = "authenticator apps"

    def __str__(self):
        return f"{self.name} of {self.user}"

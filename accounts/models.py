from django_otp.plugins.otp_totp.models import TOTPDevice


class Authenticator(TOTPDevice):
    """A person's authenticator app, as the admin lists it (django-otp's own model, renamed)."""

    class Meta:
        proxy = True
        verbose_name = "authenticator app"
        verbose_name_plural = "authenticator apps"

    def __str__(self):
        return f"{self.name} of {self.user}"

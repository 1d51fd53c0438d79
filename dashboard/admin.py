from django.contrib import admin
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from dashboard import two_factor_services as services
from dashboard.models import Authenticator

# django-otp's own pages edit the secret keys and list recovery codes; nobody needs to see those.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Who has two-factor login on, and the one thing to do about it: turn it off for someone
    who lost their phone. Read-only otherwise, and the secret is never shown."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    list_filter = ["confirmed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    fields = ["user", "name", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields
    actions = ["turn_off"]

    def has_add_permission(self, request):
        return False  # each person sets up their own app, scanning the code with their phone

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # turning off also removes the recovery codes: the action below

    def has_turn_off_permission(self, request):
        return request.user.has_perm("dashboard.delete_authenticator")

    @admin.action(description="Turn off two-factor login for the selected people", permissions=["turn_off"])
    def turn_off(self, request, queryset):
        people = list(get_user_model().objects.filter(pk__in=queryset.values("user")).order_by("username"))
        for person in people:
            services.turn_off_two_factor(user=person)
        names = ", ".join(person.get_username() for person in people)
        self.message_user(
            request,
            f"Two-factor login is off for {names}. Whoever's role requires it sets up a new "
            "authenticator app at their next login; anyone else logs in with the password alone.",
        )

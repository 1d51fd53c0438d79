"""Who sees money and who sees access grants: decided here and nowhere else.

Money is every amount and every share of one: budgets, contingencies, spending,
payments, milestone amounts, hourly rates. Someone without the money permission
sees health levels (on track, at risk, in trouble) and schedule words instead.
Pages, the admin, exports, emails and the reminder scan all ask these functions,
so changing who may see what is a change to a role's permissions, not to code.

This module imports no app: every layer may ask it.
"""

from django import forms
from django.utils.html import format_html

MONEY_PERMISSION = "projects.view_money"
ACCESS_GRANT_PERMISSION = "freelancers.view_accessgrant"

WITHHELD = "Only the owner sees this."


def can_see_money(user):
    return user is not None and user.has_perm(MONEY_PERMISSION)


def can_see_access_grants(user):
    return user is not None and user.has_perm(ACCESS_GRANT_PERMISSION)


def context(request):
    """The policy for templates: `can_see_money` and `can_see_access_grants`."""
    user = getattr(request, "user", None)
    return {"can_see_money": can_see_money(user), "can_see_access_grants": can_see_access_grants(user)}


class WithheldInput(forms.Widget):
    """Renders a note instead of the value, so the page never carries the amount."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html('<p class="form-control-plaintext text-body-secondary mb-0">{}</p>', WITHHELD)


def withhold_money_fields(form, names, user):
    """Keep `names` of a bound model form as they are and show them as withheld, unless
    `user` may see money. A new row is left alone: who types an amount already knows it."""
    if can_see_money(user) or form.instance.pk is None:
        return
    for name in names:
        if name in form.fields:
            form.fields[name].disabled = True
            form.fields[name].widget = WithheldInput()
            form.fields[name].help_text = ""


def history_for(user, entries, model, money_fields):
    """Recent changes (common.history) as `user` may read them: changes to
    `money_fields` of `model` left out unless they may see money; the entry itself
    stays, so who changed something and when is still said."""
    if can_see_money(user):
        return entries
    hidden = {model._meta.get_field(name).verbose_name for name in money_fields}
    return [
        {**entry, "changes": [change for change in entry["changes"] if change[0] not in hidden]}
        for entry in entries
    ]

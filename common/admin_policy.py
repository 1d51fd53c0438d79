"""The admin side of common.policy: columns, fields, lookups, history and exports.

An admin class lists what on its model is money (`money_fields`) and what tells of
access grants (`grant_fields`): model fields, relations, annotations, column and
export names. Whoever may not see one of them gets no column, no field on a change
page, no history line, no export column and no filter or lookup through it: a
lookup through a hidden name is refused like any disallowed lookup (400), so a
list cannot be used as a yes/no oracle either.
"""

import dataclasses

from django.db.models.constants import LOOKUP_SEP
from simple_history.template_utils import HistoricalRecordContextHelper

from common.policy import can_see_access_grants, can_see_money


def resource_without(resource_class, names):
    """`resource_class` without the columns `names`, for export and import alike (the
    export form lists the class's columns, so they are left out of the class itself)."""
    kept = tuple(name for name in resource_class.Meta.fields if name not in names)
    meta = type("Meta", (resource_class.Meta,), {"fields": kept})
    withheld = type(
        f"{resource_class.__name__}Withheld",
        (resource_class,),
        {"Meta": meta, "__module__": resource_class.__module__},
    )
    withheld.fields = {name: field for name, field in withheld.fields.items() if name not in names}
    return withheld


class WithheldChanges(HistoricalRecordContextHelper):
    """History lines without the changes to hidden fields."""

    def __init__(self, model, historical_record, hidden):
        super().__init__(model, historical_record)
        self.hidden = hidden

    def context_for_delta_changes(self, delta):
        kept = [change for change in delta.changes if change.field not in self.hidden]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=kept))


class PolicyInline:
    """An inline whose rows or `money_fields` are hidden from whoever may not see them."""

    policy_name = None  # the name of the rows in PolicyAdmin.money_fields or grant_fields
    money_fields = ()

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or can_see_money(request.user):
            return fields
        return [field for field in fields if field not in self.money_fields]


class PolicyAdmin:
    """Mixed into a ModelAdmin (before it) to make it follow common.policy."""

    money_fields = ()
    grant_fields = ()

    def hidden_names(self, request):
        hidden = set()
        if not can_see_money(request.user):
            hidden.update(self.money_fields)
        if not can_see_access_grants(request.user):
            hidden.update(self.grant_fields)
        return hidden

    def lookup_allowed(self, lookup, value, request):
        if lookup.split(LOOKUP_SEP, 1)[0] in self.hidden_names(request):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_list_display(self, request):
        hidden = self.hidden_names(request)
        return [column for column in super().get_list_display(request) if column not in hidden]

    def get_list_filter(self, request):
        hidden = self.hidden_names(request)
        return [
            item
            for item in super().get_list_filter(request)
            if (item[0] if isinstance(item, tuple) else item) not in hidden
        ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # Whoever adds a row types its amounts; there is nothing to hide from them yet.
            return fieldsets
        hidden = self.hidden_names(request)
        kept = []
        for name, options in fieldsets:
            fields = [field for field in options["fields"] if field not in hidden]
            if fields:
                kept.append((name, {**options, "fields": fields}))
        return kept

    def get_inlines(self, request, obj):
        # An inline of hidden rows names them in `policy_name`, e.g. "payments".
        hidden = self.hidden_names(request)
        return [
            inline
            for inline in super().get_inlines(request, obj)
            if getattr(inline, "policy_name", None) not in hidden
        ]

    def get_changelist_form(self, request, **kwargs):
        form = super().get_changelist_form(request, **kwargs)
        hidden = self.hidden_names(request) & set(self.list_editable)
        if not hidden:
            return form

        class Withheld(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name in hidden:
                    del self.fields[name]

        return Withheld

    def get_historical_record_context_helper(self, request, historical_record):
        return WithheldChanges(self.model, historical_record, self.hidden_names(request))

    def get_resource_classes(self, request):
        hidden = self.hidden_names(request)
        classes = super().get_resource_classes(request)
        if not hidden:
            return classes
        return [resource_without(resource_class, hidden) for resource_class in classes]

"""Readable change history: who changed which field, from what to what, and when."""

from django.contrib import messages
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin


def recent_changes(history, limit=10):
    """The latest `limit` records of a django-simple-history manager, each with its
    field changes as (label, old, new). One query, whatever the history's length."""
    records = list(history.select_related("history_user")[: limit + 1])
    entries = []
    for record, previous in zip(records[:limit], [*records[1:], None], strict=False):
        changes = []
        if previous is not None:
            meta = record.instance_type._meta
            for change in record.diff_against(previous).changes:
                label = meta.get_field(change.field).verbose_name
                changes.append((label, change.old, change.new))
        entries.append({"record": record, "changes": changes})
    return entries


REVERT_OFF = (
    "Old versions are here to read; reverting to one is off. Change the record on its page, "
    "where the same rules and permissions apply as to any edit."
)


class HistoryAdmin(SimpleHistoryAdmin):
    """The admin's change history, to read only.

    A revert saves an old version wholesale: read-only fields (budgets, archiving, the
    trial-rule override) and all, around the services and the permissions an edit goes
    through. So the Revert button is hidden and a posted revert changes nothing.
    """

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            self.message_user(request, REVERT_OFF, messages.ERROR)
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_history", object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

"""Readable change history: who changed which field, from what to what, and when.

Every entry has words. A field diff cannot show a creation, a change of related
rows (milestones, inline rows in the admin) or of a many-to-many field (skills),
so those are written into the record's change reason where the edit is saved
(`describe_edit`), and what is left gets a plain sentence.
"""

from django.contrib import messages
from django.db import models
from django.shortcuts import redirect
from django.utils.formats import localize
from simple_history.admin import SimpleHistoryAdmin

# django-simple-history keeps the reason in a 100-character column.
REASON_LENGTH = 100

# Fields whose change is an event with its own name rather than an old → new value.
EVENTS = {"archived_at": ("Restored", "Archived")}


def attribute(instance, user, reason=""):
    """`instance` with its next history record attributed to `user` and, when given,
    `reason` (django-simple-history reads both when the instance is saved or deleted)."""
    instance._history_user = user
    if reason:
        instance._change_reason = reason[:REASON_LENGTH]
    return instance


def recent_changes(history, limit=10):
    """The latest `limit` records of a django-simple-history manager, each with its
    words: a `headline` saying who did what, never only "Changed by", and `changes`
    as (label, old, new).
    One query for the records, one per kind of linked row they name."""
    records = list(history.select_related("history_user")[: limit + 1])
    entries = [
        {"record": record, "diff": _diff(record, previous) if previous else []}
        for record, previous in zip(records[:limit], [*records[1:], None], strict=False)
    ]
    _name_linked_rows(entries)
    return [{"record": entry["record"], **_words(entry["record"], entry["diff"])} for entry in entries]


def _diff(record, previous):
    """[(field, old, new)] for every tracked field, also those no form edits (archiving,
    completion, the trust override): services change them, and diff_against() skips them."""
    changes = []
    for field in record.tracked_fields:
        if field.primary_key or getattr(field, "auto_now_add", False):
            continue
        old, new = getattr(previous, field.attname), getattr(record, field.attname)
        if old != new:
            changes.append((field, old, new))
    return changes


def _words(record, diff):
    """The entry's headline ("Changed by olivia: Archived") and its field changes."""
    said, changes = [], []
    for field, old, new in diff:
        if field.name in EVENTS:
            said.append(EVENTS[field.name][new is not None])
        else:
            changes.append((field.verbose_name, _shown(field, old), _shown(field, new)))
    if record.history_change_reason:
        said.append(record.history_change_reason)
    if not said and not changes and record.history_type == "~":
        said.append("nothing changed")
    headline = f"{record.get_history_type_display()} by {record.history_user or 'the system'}"
    return {"headline": ": ".join([headline, *filter(None, ["; ".join(said)])]), "changes": changes}


def _shown(field, value):
    if value is None or value == "":
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    return localize(value)


def _name_linked_rows(entries):
    """Put the linked rows' names where a diff holds their ids, one query per model."""
    wanted = {}
    for entry in entries:
        for field, old, new in entry["diff"]:
            if field.many_to_one:
                wanted.setdefault(field.related_model, set()).update({old, new} - {None})
    names = {model: model._default_manager.in_bulk(pks) for model, pks in wanted.items()}
    for entry in entries:
        entry["diff"] = [
            (field, *(names[field.related_model].get(value, value) for value in (old, new)))
            if field.many_to_one
            else (field, old, new)
            for field, old, new in entry["diff"]
        ]


def describe_edit(form, formsets=()):
    """Words for what an edit changed that the record's own fields do not hold: its
    many-to-many fields, read from a bound, valid form, and the rows of formsets
    already saved (their new, changed and deleted objects). Empty when nothing did."""
    parts = []
    model_fields = {field.name: field for field in form.instance._meta.get_fields()}
    for name in form.changed_data:
        # Form-only fields (an override's reason, skills typed as new names) are not the record's.
        field = model_fields.get(name)
        if field is not None and field.many_to_many:
            before = form.initial.get(name) or []
            after = form.cleaned_data[name]
            parts.append(f"{field.verbose_name.capitalize()}: {_names(before)} → {_names(after)}")
    for formset in formsets:
        rows = [
            (verb, rows)
            for verb, rows in (
                ("added", formset.new_objects),
                ("changed", [obj for obj, _fields in formset.changed_objects]),
                ("removed", formset.deleted_objects),
            )
            if rows
        ]
        if rows:
            plural = formset.model._meta.verbose_name_plural.capitalize()
            parts.append(f"{plural}: " + ", ".join(f"{_titles(objs)} {verb}" for verb, objs in rows))
    return _cut("; ".join(parts))


def _names(objects):
    return ", ".join(sorted(str(obj) for obj in objects)) or "none"


def _titles(objects):
    # A row's title or name where it has one; a count otherwise (a payment's text is an amount).
    titles = [getattr(obj, "title", None) or getattr(obj, "name", None) for obj in objects]
    if all(titles):
        return ", ".join(f"“{title}”" for title in titles)
    return f"{len(objects)}"


def _cut(words):
    return words if len(words) <= REASON_LENGTH else words[: REASON_LENGTH - 1] + "…"


def add_reason(history_record, words):
    """Append `words` to a record's change reason (an admin saves inline rows after the record)."""
    if not words:
        return
    reason = "; ".join(filter(None, [history_record.history_change_reason, words]))
    history_record.history_change_reason = _cut(reason)
    history_record.save(update_fields=["history_change_reason"])


def explain(instance, words):
    """Have the next history record of `instance` say `words` (nothing when empty)."""
    if words:
        instance._change_reason = words
    return instance


class ExplainedEditsAdmin:
    """A ModelAdmin mixin: an admin edit's record also says which many-to-many
    fields and inline rows changed, saved only after the record itself."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            add_reason(form.instance.history.first(), describe_edit(form, formsets))


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

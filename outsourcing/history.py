"""Readable change history: who changed which field, from what to what, and when."""


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

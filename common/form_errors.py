"""Showing a service's refusal on the form that asked for the change."""


def add_service_errors(form, error):
    """Put each message of a ValidationError beside the field it names, or at the top of the form
    (all of them there when the refusal names no field)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)

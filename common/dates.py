"""The range of dates a person may type anywhere in the app.

Python dates end at 9999-12-31 and begin at 0001-01-01, and the app counts days from
the dates people type (leeway after a due date, a check-in the day before a milestone):
a date at either end overflows in that arithmetic. No real project, payment or interview
is that far away, so such a date is refused beside its field before anything counts with it.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2199, 12, 31)


def validate_typed_date(value):
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValidationError(
            f"Enter a date between {EARLIEST.year} and {LATEST.year}.", code="date_out_of_range"
        )


def date_range_formfield(db_field, **kwargs):
    """A ModelForm's formfield_callback: every date field it builds refuses dates out of range."""
    formfield = db_field.formfield(**kwargs)
    if isinstance(formfield, forms.DateField):
        formfield.validators.append(validate_typed_date)
    return formfield

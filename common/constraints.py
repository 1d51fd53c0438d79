"""Database constraints that report their violation beside one form field.

Django reports a failed CheckConstraint, or a UniqueConstraint on an
expression, as an error of the whole form. These subclasses name the field the
person should correct, so the rule lives in the database once and its message
still appears where the mistake is.
"""

from django.core.exceptions import ValidationError
from django.db import models


class FieldErrorMixin:
    def __init__(self, *args, field, **kwargs):
        self.field = field
        super().__init__(*args, **kwargs)

    def validate(self, *args, **kwargs):
        try:
            super().validate(*args, **kwargs)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from None

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return super().__eq__(other) and self.field == getattr(other, "field", None)

    __hash__ = None


class FieldCheckConstraint(FieldErrorMixin, models.CheckConstraint):
    pass


class FieldUniqueConstraint(FieldErrorMixin, models.UniqueConstraint):
    pass

"""Autocomplete fields that re-render a refused form instead of failing with a 500.

Django's autocomplete widget shows the posted choices by looking them up: an id like "abc"
posted to an integer key failed in that lookup, after the form had already refused it.
Every ModelAdmin (and inline) with autocomplete_fields mixes in CheckedAutocompleteAdminMixin.
"""

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError


class KeyCheckingAutocompleteMixin:
    """Shows only posted values that could be keys of the related model; the form field
    already reports the others as invalid choices beside the field."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [each for each in value if self.could_be_a_key(each)], attr)

    def could_be_a_key(self, value):
        opts = self.field.remote_field.model._meta
        target = opts.get_field(getattr(self.field.remote_field, "field_name", None) or opts.pk.name)
        try:
            target.to_python(value)
        except ValidationError:
            return False
        return True


class CheckedAutocompleteSelect(KeyCheckingAutocompleteMixin, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(KeyCheckingAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class CheckedAutocompleteAdminMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

"""Spreadsheet import and export (CSV and XLSX) of freelancers and their references.

Each row is checked like a form would check it: the model's full_clean(), so the
database constraints' messages and the approval rule (Freelancer.clean) become
that row's errors. A file with any bad row imports nothing at all: a
spreadsheet is one change, not thirty. Text that a spreadsheet would run as a
formula is exported as text (common.spreadsheets). A blank text cell keeps the
text already written (notes, sources, contacts): a sheet with an empty column never
wipes them; text is cleared on the freelancer's page, not by an import.
"""

from decimal import InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from import_export import fields, widgets

from common.spreadsheets import TextSafeResource
from freelancers.models import Freelancer, Reference, Skill


class SkillNamesWidget(widgets.ManyToManyWidget):
    """Skills as names separated by commas; a skill not known yet is added."""

    def __init__(self):
        super().__init__(Skill, separator=",", field="name")

    def clean(self, value, row=None, **kwargs):
        names = dict.fromkeys(name.strip() for name in str(value or "").split(self.separator))
        skills = []
        for name in filter(None, names):
            skill = Skill.objects.named(name).first()
            if skill is None:
                skill = Skill(name=name)
                try:
                    skill.full_clean()
                except ValidationError as error:
                    raise ValidationError({"skills": f"Skill “{name}”: {' '.join(error.messages)}"}) from None
                skill.save()
            skills.append(skill)
        return skills


class AmountWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except (InvalidOperation, TypeError):
            # A ValueError becomes this row's error on the field, in these words.
            raise ValueError(f"“{value}” is not an amount. Write it like 45.50.") from None


class FreelancerByEmailWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Freelancer, field="email")

    def clean(self, value, row=None, **kwargs):
        email = str(value or "").strip()
        if not email:
            return None
        freelancer = Freelancer.objects.filter(email__iexact=email).first()
        if freelancer is None:
            raise ValueError(f"No freelancer has the email address “{email}”.")
        return freelancer


def keep_when_blank(attribute, widget=None):
    """A column whose blank cell keeps the current value (or the model's default for a new row)."""
    return fields.Field(
        attribute=attribute, column_name=attribute, widget=widget, default=None, saves_null_values=False
    )


class AllOrNothingResource(TextSafeResource):
    @classmethod
    def field_from_django_field(cls, field_name, django_field, readonly):
        field = super().field_from_django_field(field_name, django_field, readonly)
        if isinstance(django_field, (models.CharField, models.TextField)):
            # As keep_when_blank(): a blank cell keeps what a person wrote there.
            field.default, field.saves_null_values = None, False
        return field

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        # Long text like short text: an empty spreadsheet cell is "", never NULL.
        if isinstance(f, models.TextField):
            return widgets.CharWidget
        return super().widget_from_django_field(f, default)

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # Without this a row failing validation is reported and the others are kept.
        kwargs.setdefault("rollback_on_validation_errors", True)
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=use_transactions, **kwargs
        )


class FreelancerResource(AllOrNothingResource):
    # Left out, on export and import, for whoever may not see money (common.admin_policy).
    money_columns = ("hourly_rate",)

    skills = fields.Field(attribute="skills", column_name="skills", widget=SkillNamesWidget())
    hourly_rate = fields.Field(attribute="hourly_rate", column_name="hourly_rate", widget=AmountWidget())
    currency = keep_when_blank("currency")
    status = keep_when_blank("status")
    do_not_hire = keep_when_blank("do_not_hire", widgets.BooleanWidget())

    class Meta:
        model = Freelancer
        fields = (
            "name",
            "email",
            "phone",
            "timezone",
            "location",
            "skills",
            "hourly_rate",
            "currency",
            "source",
            "status",
            "do_not_hire",
            "do_not_hire_reason",
            "notes",
        )
        # Matching on email makes a second import of the same sheet update, not duplicate.
        import_id_fields = ("email",)
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().prefetch_related("skills")


class ReferenceResource(AllOrNothingResource):
    freelancer = fields.Field(
        attribute="freelancer", column_name="freelancer", widget=FreelancerByEmailWidget()
    )
    outcome = keep_when_blank("outcome")

    class Meta:
        model = Reference
        fields = ("freelancer", "name", "relationship", "contact", "contacted_on", "outcome", "notes")
        # A reference is known by whose reference it is and who gave it.
        import_id_fields = ("freelancer", "name")
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return super().get_queryset().select_related("freelancer")

    def get_instance(self, instance_loader, row):
        try:
            return super().get_instance(instance_loader, row)
        except ValueError:
            # An unknown email: import_instance reports it as this row's error.
            return None

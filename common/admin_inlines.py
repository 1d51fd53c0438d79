"""Admin inlines that refuse a post with more rows than a page shows.

Django reads up to max_num + 1,000 rows from a formset's post whatever the page showed, so a
forged TOTAL_FORMS=1000 made one request validate (and save) a thousand rows. Every inline
mixes in CappedInline: a post with more rows than the cap is refused with an error above the
inline and nothing is saved.
"""

from django.forms.models import BaseInlineFormSet
from django.utils.translation import ngettext_lazy

INLINE_MAX_ROWS = 50


class CappedInlineFormSet(BaseInlineFormSet):
    default_error_messages = {
        "too_many_forms": ngettext_lazy(
            "At most %(num)d row can be saved here.", "At most %(num)d rows can be saved here.", "num"
        )
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Rows saved before the cap stay editable; only rows beyond them are refused. The
        # queryset is evaluated here instead of when the rows are built: still one query.
        self.max_num = self.absolute_max = max(self.max_num, len(self.get_queryset()))


class CappedInline:
    """Mixed into an InlineModelAdmin (before it); a custom formset subclasses CappedInlineFormSet."""

    max_num = INLINE_MAX_ROWS
    formset = CappedInlineFormSet

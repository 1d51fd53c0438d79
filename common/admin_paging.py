"""Admin changelists over big tables: no full COUNT, an estimated one where it is enough.

A changelist counts its rows twice: once for the paginator (the rows its filters
keep) and once for "N results (M total)". Over a million check-ins each count is
a pass over the whole table. LargeTableAdmin drops the second count and gives the
first to EstimatedCountPaginator: with no filter or search on, the row count
PostgreSQL keeps for its planner (pg_class.reltuples, refreshed by autovacuum's
ANALYZE) is close enough to number the pages; a filtered list is counted exactly,
as its count is what the person asked for.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


def estimated_row_count(queryset):
    """PostgreSQL's estimate of the rows in `queryset`'s table, or None where there is
    none (another database, a table never analyzed)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    # -1 until the table is first analyzed.
    return int(row[0]) if row and row[0] >= 0 else None


def selects_whole_table(queryset):
    query = queryset.query
    return not query.where and not query.distinct and query.combinator is None


class EstimatedCountPaginator(Paginator):
    """Counts a changelist that selects the whole table from PostgreSQL's estimate.

    Below `exact_below` rows the estimate is not used: counting is cheap there, and an
    estimate under the page size would make the admin list every row on one page.
    The last pages of an estimated list may come out short or empty; the page
    numbers are meant for browsing, the filters and search for finding.
    """

    exact_below = 10_000

    @cached_property
    def count(self):
        if selects_whole_table(self.object_list):
            estimate = estimated_row_count(self.object_list)
            if estimate is not None and estimate >= self.exact_below:
                return estimate
        return super().count


class LargeTableAdmin:
    """Mixed into a ModelAdmin (before it) whose table grows with the business."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # Rendering the rows (their columns and editable widgets) was two thirds of the
    # projects changelist's time at a hundred rows; fifty halve that.
    list_per_page = 50

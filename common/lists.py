"""What every list page shares: one page of rows, and the filters kept across pages."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

PAGE_SIZE = 25
# Where a list whose rows are costly to count stops counting: ten pages. "More than 250"
# says enough, and counting every row would cost as much as reading them all.
COUNT_LIMIT = 250


def count_up_to(items, limit=COUNT_LIMIT):
    """How many rows `items` (a queryset) has, counted no further than limit + 1: more than
    `limit` comes out as limit + 1."""
    # Without an order, PostgreSQL stops at the first limit + 1 rows it finds.
    return items.order_by()[: limit + 1].count()


class CountUpToPaginator(Paginator):
    """Counts no further than `limit` rows: the count reads at most limit + 1 rows, so it
    costs the same however many match. With more than `limit`, `more` is true, `count` is
    the limit and the pages reach that far; the filters narrow the list to the rest."""

    def __init__(self, object_list, per_page, *, limit, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.limit = limit

    @cached_property
    def counted(self):
        return count_up_to(self.object_list, self.limit)

    @property
    def more(self):
        return self.counted > self.limit

    @cached_property
    def count(self):
        return min(self.counted, self.limit)


def paginate(request, items, per_page=PAGE_SIZE, param="page", count_limit=None):
    """Context for `_pagination.html`: the page asked for, the query string without
    the page number (so the links keep the filters) and whether any filter is on.

    A page with several paged lists gives each its own `param`, so paging one keeps the others.
    With `count_limit`, the rows are counted only that far (CountUpToPaginator)."""
    if count_limit is None:
        paginator = Paginator(items, per_page)
    else:
        paginator = CountUpToPaginator(items, per_page, limit=count_limit)
    page = paginator.get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    return {"page": page, "query": query.urlencode(), "filtered": bool(query), "param": param}

"""What every list page shares: one page of rows, and the filters kept across pages."""

from django.core.paginator import Paginator

PAGE_SIZE = 25


def paginate(request, items, per_page=PAGE_SIZE, param="page"):
    """Context for `_pagination.html`: the page asked for, the query string without
    the page number (so the links keep the filters) and whether any filter is on.

    A page with several paged lists gives each its own `param`, so paging one keeps the others."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    return {"page": page, "query": query.urlencode(), "filtered": bool(query), "param": param}

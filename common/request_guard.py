"""Refuse, with a plain 400, requests no page could answer sensibly, before any page sees them.

- A NUL character, in the path, the query, a cookie or a posted form. No one types one, and
  PostgreSQL cannot store or compare it: a NUL reaching a lookup failed inside the database
  driver with a 500.
- A year, month or day in the query (the admin's date drill-down, `paid_on__year=...`) that
  no date has. Django builds the range from such a date (the next day, month or year) and a
  year at or past 9999 overflowed with a 500.
One check here answers every such request instead of guarding each field and filter.

The posted form is checked once the view is known (process_view), and not for a view marked
with reads_own_body: a webhook that must read the raw body itself (an ESP's inbound mail)
could not once the form had been parsed from the stream, and cleans what it stores itself.
"""

import datetime

from django.core.exceptions import BadRequest

NUL = "\x00"
# The last year whose following year is still a date.
DATE_PARTS = {"year": (1, datetime.MAXYEAR - 1), "month": (1, 12), "day": (1, 31)}


def reads_own_body(view):
    """Mark a view that reads the request's raw body: the guard leaves its posted form alone."""
    view.reads_own_body = True
    return view


def carries_nul(request):
    """A NUL in the path, the query or a cookie."""
    return NUL in request.path_info or any(has_nul(source) for source in (request.GET, request.COOKIES))


def posts_nul(request):
    """A NUL in a posted form's fields; uploaded files' names are cleaned by Django."""
    return request.method == "POST" and has_nul(request.POST)


def has_nul(source):
    for key, values in source.lists() if hasattr(source, "lists") else source.items():
        values = values if isinstance(values, list) else [values]
        if NUL in key or any(NUL in value for value in values):
            return True
    return False


def names_an_impossible_date(query):
    for key, values in query.lists():
        part = key.rpartition("__")[2]
        if part in DATE_PARTS:
            lowest, highest = DATE_PARTS[part]
            for value in values:
                if not (value.isascii() and value.isdigit() and lowest <= int(value) <= highest):
                    return True
    return False


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if carries_nul(request):
            raise BadRequest("The request contains a NUL character.")
        if names_an_impossible_date(request.GET):
            raise BadRequest("The query names a date that does not exist.")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "reads_own_body", False) and posts_nul(request):
            raise BadRequest("The request contains a NUL character.")

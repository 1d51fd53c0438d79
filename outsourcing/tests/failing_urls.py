"""A URLconf with one page that fails, for the tests of what an error leaves behind: the log
line and the error report. No page of the app fails on purpose, so the tests bring their own."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseServerError
from django.urls import path

MESSAGE = "The page broke on purpose"


def broken(request):
    raise RuntimeError(MESSAGE)


@login_not_required
def broken_for_anyone(request):
    raise RuntimeError(MESSAGE)


def server_error(request):
    # A plain answer: the app's 500 page needs collected static files, which the tests do not build.
    return HttpResponseServerError("Something went wrong.")


handler500 = server_error

urlpatterns = [
    path("broken/", broken),
    path("broken-for-anyone/", broken_for_anyone),
]

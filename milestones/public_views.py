"""Pages outside the login: the freelancer's signed check-in update page."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseForbidden


@login_not_required
def checkin_update(request, token):
    return HttpResponseForbidden("This link is not valid.")

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashboard import broker
from dashboard.models import Heartbeat
from dashboard.panels import dashboard as dashboard_panels


def dashboard(request):
    context = dashboard_panels(request.user)
    if not context["no_panels"]:
        context["worker"] = Heartbeat.objects.filter(name="worker").first()
    return render(request, "dashboard/dashboard.html", context)


def database_problem():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return f"database unreachable: {error.__class__.__name__}"
    return None


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Answer 200 when the database and the broker both work, else 503 naming what is down."""
    problems = {"database": database_problem(), "broker": broker.problem()}
    down = sorted(name for name, problem in problems.items() if problem)
    body = {
        "status": "down" if down else "ok",
        "down": down,
        **{name: problem or "ok" for name, problem in problems.items()},
    }
    return JsonResponse(body, status=503 if down else 200)

import secrets

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
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


def storage_problem():
    """Write, read back and delete a tiny probe file. An exists() call would be one request
    less, but it answers "no" for a bucket that is missing and a folder that cannot be
    written; this fails on everything an upload would fail on. The name is random, so
    probes running at once never see each other's file."""
    name = f"healthz/{secrets.token_hex(8)}.txt"
    try:
        name = default_storage.save(name, ContentFile(b"ok"))
        try:
            with default_storage.open(name, "rb") as probe:
                if probe.read() != b"ok":
                    return "storage gave back other content than was written"
        finally:
            default_storage.delete(name)
    except Exception as error:  # any backend's error (OSError, botocore's) means uploads fail
        return f"storage unusable: {error.__class__.__name__}"
    return None


def cache_problem():
    """Set and read back a key: the check-in link's rate limits count in the cache."""
    value = secrets.token_hex(8)
    try:
        cache.set("healthz-probe", value, timeout=10)
        if cache.get("healthz-probe") != value:
            return "cache did not keep a value"
    except Exception as error:  # any backend's error (Redis down, refused) means counting fails
        return f"cache unreachable: {error.__class__.__name__}"
    return None


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Answer 200 when the database, the broker, the file storage and the cache all work,
    else 503 naming what is down."""
    problems = {
        "database": database_problem(),
        "broker": broker.problem(),
        "storage": storage_problem(),
        "cache": cache_problem(),
    }
    down = sorted(name for name, problem in problems.items() if problem)
    body = {
        "status": "down" if down else "ok",
        "down": down,
        **{name: problem or "ok" for name, problem in problems.items()},
    }
    return JsonResponse(body, status=503 if down else 200)

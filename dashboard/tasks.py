from celery import shared_task
from django.utils import timezone

from dashboard.models import Heartbeat


@shared_task
def record_heartbeat(name="worker"):
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})

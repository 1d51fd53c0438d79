import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from dashboard import backups
from dashboard.models import Heartbeat

logger = logging.getLogger(__name__)


@shared_task
def record_heartbeat(name="worker"):
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


# A large database takes longer to dump than the 5 minutes other tasks get.
@shared_task(time_limit=4 * 3600, soft_time_limit=4 * 3600 - 60)
def back_up_daily():
    """Beat runs this every day; it backs up only when BACKUP_DAILY is on (off by default)."""
    if not settings.BACKUP_DAILY:
        return None
    path, stored = backups.create_backup(output=settings.BACKUP_DIR, to_storage=settings.BACKUP_TO_STORAGE)
    logger.info(
        "Daily backup written to %s%s", path, f" and kept in the storage as {stored}" if stored else ""
    )
    return str(path)

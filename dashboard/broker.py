"""The Celery broker as the rest of the app sees it: ready to use, and up or down.

The app is the configured one (outsourcing.celery, loaded with the settings), reached
as Celery's current app so the site imports nothing from the configuration package."""

import contextlib
import os
from pathlib import Path

from celery import current_app as app
from django.conf import settings


def folders():
    """The folders of the embedded filesystem broker, or [] for a broker server."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    keys = ("data_folder_in", "data_folder_out", "control_folder", "processed_folder")
    return sorted({Path(options[key]) for key in keys if key in options})


def prepare_folders():
    # kombu's filesystem transport does not create its folders itself. A folder
    # that cannot be made is left for /healthz to report, not a crash at start.
    for folder in folders():
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)


def problem():
    """Return None if tasks can be queued now, else what is wrong in a few words."""
    for folder in folders():
        if not os.access(folder, os.W_OK):
            return f"broker folder {folder} is not writable"
    if folders():
        return None
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # any transport error means the broker is down
        return f"broker unreachable: {error.__class__.__name__}"
    return None

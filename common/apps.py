from celery import signals
from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared basics; installed for its template tags and the request id's Celery signals."""

    name = "common"

    def ready(self):
        from common import request_id

        signals.before_task_publish.connect(request_id.add_to_task_message, dispatch_uid="request_id.publish")
        signals.task_prerun.connect(request_id.task_started, dispatch_uid="request_id.prerun")
        signals.task_postrun.connect(request_id.task_ended, dispatch_uid="request_id.postrun")

"""A request id on every log line a request or the tasks it enqueued write, and on the response.

Each request gets an id: the one a proxy in front already gave it (X-Request-ID, if it looks
like an id), else a new one. It goes back in the response's X-Request-ID header, on every log
line written while the request runs (common/json_logs.py), on the Sentry report of an error,
and, through a header of the Celery message, on the log lines of the tasks the request enqueued.
A task nobody's request enqueued (the beat's) logs under its own task id.
"""

import contextvars
import re
import uuid

import sentry_sdk

HEADER = "X-Request-ID"
# What a proxy's id may look like to be kept: a UUID or a similar token, never a whole line.
ACCEPTABLE = re.compile(r"[A-Za-z0-9._-]{8,64}")

current = contextvars.ContextVar("request_id", default=None)


def incoming_or_new(request):
    given = request.headers.get(HEADER, "")
    return given if ACCEPTABLE.fullmatch(given) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new(request)
        token = current.set(request_id)
        sentry_sdk.set_tag("request_id", request_id)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        response[HEADER] = request_id
        return response


# Celery signals, connected in common/apps.py.


def add_to_task_message(headers=None, **kwargs):
    """before_task_publish: the request id travels in the message's headers."""
    request_id = current.get()
    if request_id is not None and headers is not None:
        headers.setdefault("request_id", request_id)


def task_started(task, task_id, **kwargs):
    """task_prerun: the task's log lines carry the id of the request that enqueued it."""
    request_id = getattr(task.request, "request_id", None)
    task.request.request_id_token = current.set(request_id or task_id)


def task_ended(task, **kwargs):
    """task_postrun: the worker process goes on to its next task without this id."""
    token = getattr(task.request, "request_id_token", None)
    if token is not None:
        current.reset(token)

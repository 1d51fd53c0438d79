"""Checks `manage.py check --deploy` adds to Django's own deployment checklist."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

SHARED_CACHES = {"django.core.cache.backends.redis.RedisCache"}


@register(Tags.caches, deploy=True)
def cache_is_shared(app_configs, **kwargs):
    """The check-in link's rate limits count in the cache: in each process's own memory, a
    second web process (or gunicorn worker) counts from zero and the limits multiply."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in SHARED_CACHES:
        return []
    return [
        Warning(
            f"The cache is {backend.rsplit('.', 1)[-1]}: each web process counts the check-in "
            "link's posts on its own, so the rate limits multiply with the processes.",
            hint="Set CACHE_URL=redis://HOST:6379/1, or use a Redis CELERY_BROKER_URL, which "
            "the cache then shares.",
            id="outsourcing.W001",
        )
    ]

"""Error reports to Sentry (or any server that speaks its protocol), when SENTRY_DSN is set."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def start(dsn, *, environment):
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # Reports name no one. send_default_pii is left unset, which this SDK reads as False (no
        # user, email, IP address or cookies) and, set explicitly, warns is deprecated.
        # Nor do they carry a posted form or the values of a traceback's variables, which
        # hold freelancers' names, emails and notes.
        max_request_body_size="never",
        include_local_variables=False,
        before_send=without_query_or_cookies,
    )


def without_query_or_cookies(event, hint):
    """Drop what the SDK keeps even with personal data off: the query string (a search for a
    freelancer's name) and cookies (whose values it blanks but still lists)."""
    request = event.get("request", {})
    request.pop("query_string", None)
    request.pop("cookies", None)
    return event

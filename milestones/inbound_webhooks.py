"""The ESPs' inbound webhooks (django-anymail): each hands the message it parsed to
milestones.inbound.receive().

Each ESP's request is checked by anymail as it checks it: the basic-auth user:password in the
webhook URL (INBOUND_WEBHOOK_SECRET) for all four, and Mailgun's HMAC signature as well
(MAILGUN_WEBHOOK_SIGNING_KEY). Amazon SES comes through SNS, whose message signature anymail
does not verify; basic auth is its check. A webhook whose secrets are not set answers 404, so
no deployment takes inbound mail unauthenticated.

The answer is 2xx once receive() returned: the message was stored, held, or deliberately
ignored or refused (logged with its reason; sending it again would change nothing). Any error
(the database down) is a 5xx, and the ESP sends the message again later.
"""

from io import BytesIO

from anymail.signals import inbound
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from common.request_guard import reads_own_body
from milestones import inbound as replies

# The ESPs whose inbound webhooks are wired (milestones/inbound_urls.py), and the ANYMAIL
# settings each needs besides WEBHOOK_SECRET.
VIEWS = {
    "postmark": (PostmarkInboundWebhookView, ()),
    "mailgun": (MailgunInboundWebhookView, ("MAILGUN_WEBHOOK_SIGNING_KEY",)),
    "sendgrid": (SendGridInboundWebhookView, ()),
    "amazon_ses": (AmazonSESInboundWebhookView, ()),
}
# Base64 makes a message a third larger inside a JSON body; the rest of a payload is small.
BASE64_OVERHEAD = 4 / 3
SLACK_BYTES = 1024 * 1024


def receive_from_esp(sender, event, esp_name, **kwargs):
    """anymail's inbound signal: one message an ESP posted."""
    replies.receive(event.message, via=esp_name)


def connect():
    inbound.connect(receive_from_esp, dispatch_uid="milestones.inbound_webhooks")


def webhook(esp):
    """The view for one ESP's inbound webhook: anymail's, behind the checks above."""
    view_class, needs = VIEWS[esp]
    anymail_view = view_class.as_view()

    @csrf_exempt
    @login_not_required  # the ESP's credentials are the key, checked by anymail
    @reads_own_body
    def view(request, *args, **kwargs):
        configured = settings.ANYMAIL
        if not configured.get("WEBHOOK_SECRET") or not all(configured.get(name) for name in needs):
            raise Http404("This inbound webhook is not configured.")
        if request.method == "POST" and (too_large := read_whole_body(request)):
            return too_large
        return anymail_view(request, *args, **kwargs)

    return view


def read_whole_body(request):
    """Read the body as HttpRequest.body would, but up to what a message of INBOUND_MAIL_MAX_BYTES
    makes rather than DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), the limit for every page: Postmark and
    Amazon SES post the whole message, attachments in base64, as one JSON body, and SendGrid's
    view reads its whole form body. A larger body is answered 413; None when it was read."""
    limit = settings.INBOUND_MAIL_MAX_BYTES * BASE64_OVERHEAD + SLACK_BYTES
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return HttpResponse("The message is too large.\n", status=413, content_type="text/plain")
    request._body = request.read()
    request._stream = BytesIO(request._body)
    return None

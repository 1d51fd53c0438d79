"""The ESPs' inbound webhooks, under /inbound/ (README: "Replies by email")."""

from django.urls import path

from milestones.inbound_webhooks import webhook

urlpatterns = [
    path("postmark/", webhook("postmark"), name="inbound_postmark"),
    # Mailgun's "forward" route to this URL posts the parsed message, attachments as files.
    path("mailgun/", webhook("mailgun"), name="inbound_mailgun"),
    path("sendgrid/", webhook("sendgrid"), name="inbound_sendgrid"),
    path("amazon-ses/", webhook("amazon_ses"), name="inbound_amazon_ses"),
]

from django.core.management.base import BaseCommand

from milestones.mail_receiver import serve


class Command(BaseCommand):
    help = (
        "Receive replies to reminders by email on a local SMTP server (for a laptop and the "
        "tests; production uses an ESP's inbound webhook). Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=2525, help="Port to listen on; 0 picks a free one.")

    def handle(self, *args, host, port, **options):
        def ready(bound_port):
            self.stdout.write(f"Receiving replies by email on {host}:{bound_port}")
            self.stdout.flush()

        serve(host, port, ready)

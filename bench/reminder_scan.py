"""How long one reminder scan takes over 100,000 check-ins, and the plan of its main query.

    .venv/bin/python bench/reminder_scan.py [--checkins 100000] [--due 1000] [--runs 3]

Runs on PostgreSQL: the server DATABASE_URL names (or postgres://postgres@127.0.0.1:5432),
in a database of its own, helping_hands_bench, created and migrated here and dropped at
the end whatever happens; the development and test databases are never touched. Enqueuing
is replaced by a no-op (milestones.tasks.enqueue), so no broker is needed: what is
timed is reading what is due and writing the Reminder rows.

Data: one project per 100 check-ins, each with one check-in due within the lead time;
the rest are held ones in the past (60 %) and planned ones weeks ahead (40 %), as a
business a few years in looks. A project's last check-in was held yesterday, so only
the due check-ins cause reminders: two each, the owner's and the freelancer's.
"""

import argparse
import contextlib
import datetime
import os
import signal
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "helping_hands_bench"
TIME_LIMIT_SECONDS = 15 * 60  # the whole run, set-up included
PER_PROJECT = 100


def database_urls():
    """(URL of the bench database, URL of the server's maintenance database) on the configured server."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        configured = "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(configured)
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}")), urlunsplit(parts._replace(path="/postgres"))


def run_on_server(admin_url, statement):
    import psycopg2

    with contextlib.closing(psycopg2.connect(admin_url)) as server:
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute(statement)


@contextlib.contextmanager
def bench_database(**environment):
    """Create and migrate helping_hands_bench, set Django up on it, and drop it on leaving.

    `environment` is set before Django reads its settings (and so is inherited by any
    subprocess started later)."""
    bench_url, admin_url = database_urls()
    os.environ.update({"DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "outsourcing.settings"})
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(environment)
    # A run that was killed leaves its database behind; the name is this script's alone.
    run_on_server(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
    run_on_server(admin_url, f"CREATE DATABASE {BENCH_DATABASE}")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"created and migrated {BENCH_DATABASE} in {time.perf_counter() - started:.1f} s")
        yield
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        run_on_server(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        print(f"dropped {BENCH_DATABASE}")


def stop_after(seconds):
    def give_up(signum, frame):
        raise TimeoutError(f"the benchmark ran longer than {seconds} s")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)


def make_projects(count, started_days_ago=400):
    """`count` active projects, each with its own owner and freelancer."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from freelancers.models import Freelancer
    from projects.models import Project

    today = timezone.localdate()
    owners = get_user_model().objects.bulk_create(
        get_user_model()(username=f"owner{n}", email=f"owner{n}@example.com") for n in range(count)
    )
    freelancers = Freelancer.objects.bulk_create(
        Freelancer(name=f"Freelancer {n}", email=f"freelancer{n}@example.com", source="Referral")
        for n in range(count)
    )
    return Project.objects.bulk_create(
        Project(
            title=f"Project {n}",
            owner=owner,
            freelancer=freelancer,
            status=Project.Status.ACTIVE,
            start_on=today - datetime.timedelta(days=started_days_ago),
            due_on=today + datetime.timedelta(days=400),
            budget=Decimal("10000.00"),
            currency="USD",
            budget_buffer_percent=Decimal("10"),
            checkin_every_days=7,
        )
        for n, (owner, freelancer) in enumerate(zip(owners, freelancers, strict=True))
    )


def make_checkins(projects, total, due):
    """`total` check-ins over the projects, `due` of them within the reminder lead time."""
    from django.conf import settings
    from django.utils import timezone

    from milestones.models import CheckIn

    now = timezone.now()
    lead = datetime.timedelta(hours=settings.REMINDER_LEAD_HOURS)
    batch = []
    made = 0
    for number in range(total):
        project = projects[number % len(projects)]
        round_ = number // len(projects)
        if round_ == 0 and number < due:
            # Spread over the lead time, each at its own minute.
            when, held_on = now + lead * (number + 1) / (due + 2), None
        elif round_ % 5 < 3:
            when = now - datetime.timedelta(days=1 + round_)
            held_on = timezone.localdate(when)
        else:
            when, held_on = now + datetime.timedelta(days=2 + round_), None
        batch.append(CheckIn(project=project, scheduled_for=when, held_on=held_on, created_at=now))
        if len(batch) == 5000:
            made += len(CheckIn.objects.bulk_create(batch))
            batch = []
    made += len(CheckIn.objects.bulk_create(batch))
    return made


def profile_one_scan(tasks, Reminder):
    import cProfile
    import pstats

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    Reminder.objects.all().delete()
    reset_queries()
    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profile.runcall(tasks.scan_and_enqueue)
    print(f"\none scan ran {len(queries)} SQL queries; where its time went:")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkins", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also print where one scan spends its time")
    arguments = parser.parse_args()
    if not 0 < arguments.due <= arguments.checkins // PER_PROJECT or not 1 <= arguments.runs <= 10:
        parser.error(f"--due must be between 1 and --checkins / {PER_PROJECT}, --runs between 1 and 10")
    stop_after(TIME_LIMIT_SECONDS)

    with bench_database():
        from django.conf import settings
        from django.db import connection
        from django.utils import timezone

        from milestones import tasks
        from milestones.models import CheckIn, Reminder

        started = time.perf_counter()
        projects = make_projects(arguments.checkins // PER_PROJECT)
        made = make_checkins(projects, arguments.checkins, arguments.due)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"made {len(projects)} projects and {made} check-ins in {time.perf_counter() - started:.1f} s")

        enqueued = []
        tasks.enqueue = enqueued.extend  # no broker: remember what would have been enqueued

        first, again = [], []
        for _ in range(arguments.runs):
            Reminder.objects.all().delete()
            enqueued.clear()
            started = time.perf_counter()
            dues = tasks.scan_and_enqueue()
            first.append(time.perf_counter() - started)
            # The next scan a few minutes later finds the same rows and enqueues nothing.
            started = time.perf_counter()
            tasks.scan_and_enqueue()
            again.append(time.perf_counter() - started)
        rows = Reminder.objects.count()
        print(f"reminders due: {len(dues)}; rows written: {rows}; enqueued: {len(enqueued)}")
        assert len(dues) == rows == len(enqueued) == 2 * arguments.due, "unexpected number of reminders"
        print(
            f"scan creating the rows: median {statistics.median(first) * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in first)} ms)"
        )
        print(
            f"scan finding them there: median {statistics.median(again) * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in again)} ms)"
        )

        if arguments.profile:
            profile_one_scan(tasks, Reminder)

        # The main query of the scan, as checkins_coming_up() runs it.
        now = timezone.now()
        lead = datetime.timedelta(hours=settings.REMINDER_LEAD_HOURS)
        query = (
            CheckIn.objects.planned()
            .filter(scheduled_for__gte=now, scheduled_for__lt=now + lead)
            .select_related("project__owner", "project__freelancer", "milestone")
        )
        plan = query.explain(analyze=True)
        print("\nEXPLAIN (ANALYZE) of the check-ins coming up:\n" + plan)
        seq_scan = "Seq Scan on milestones_checkin" in plan
        print(
            "\ncheck-ins read through an index: "
            + ("NO, a sequential scan over every check-in" if seq_scan else "yes")
        )
        return 1 if seq_scan else 0


if __name__ == "__main__":
    sys.exit(main())

"""How long the dashboard takes to render with the demo data on SQLite.

    .venv/bin/python bench/dashboard.py [--runs 50]

Builds a fresh SQLite database in a temporary folder (migrate + seed_demo), then
times GET / through Django's test client as the admin: server time only, no
network. Prints the median and the 90th percentile.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="hh-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsourcing.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from outsourcing.tests.logins import Client  # logs in with the second factor a superuser needs

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    admin = get_user_model().objects.create_superuser("bench", "bench@example.com", "unused-password-1")
    client = Client()
    client.force_login(admin)
    client.get("/")  # warm template and URL caches, as a running server has them
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        response = client.get("/")
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    timings.sort()
    p90 = timings[int(len(timings) * 0.9) - 1]
    median = statistics.median(timings)
    print(f"dashboard with the demo data on SQLite, {args.runs} runs:")
    print(f"median {median:.1f} ms, 90th percentile {p90:.1f} ms, slowest {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main()

"""How the central pages cost as the data grows, against a bare logged-in page.

    .venv/bin/python bench/pages.py [--sizes 1000 10000] [--seconds 10] [--rebuild]

For each size it builds (once; --rebuild to redo) a PostgreSQL database
`hh_bench_<size>` with `migrate` + `seed_scale --projects <size>`, starts gunicorn
with 2 workers and production settings (DEBUG off, collected static files) on a free
port, and runs wrk (Debian's package) against every page below with the session
cookie of an Owner. It prints one table per size and the growth between sizes:
requests/s, median and 99th-percentile latency, SQL queries and bytes per page
(counted in-process through Django's test client), and the time per request as a
multiple of the bare page's in the same run.

The goal: every page within 3x the bare page at the largest size, and at most 1.3x
growth in time per request from the smallest to the largest size.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
BARE = "bare page"
GOAL_RATIO, GOAL_GROWTH = 3.0, 1.3


def database_url(size):
    return f"{PG}/hh_bench_{size}"


def run(*args, env, **kwargs):
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)


def build(size, env, rebuild):
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tAc",
            f"select 1 from pg_database where datname='hh_bench_{size}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists and not rebuild:
        return
    for sql in (f"drop database if exists hh_bench_{size}", f"create database hh_bench_{size}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    run("migrate", "--no-input", "-v0", env=env)
    started = time.perf_counter()
    run("seed_scale", "--projects", str(size), env=env, stdout=subprocess.DEVNULL)
    print(f"seeded {size} projects in {time.perf_counter() - started:.0f} s", flush=True)
    run(
        "shell",
        "-c",
        "from django.db import connection; connection.cursor().execute('VACUUM ANALYZE')",
        env=env,
    )


def pages_and_cookie(env):
    """Ask Django, in a child process on the benchmark database, for the URLs to measure,
    an Owner's session cookie and each page's query count and size."""
    code = r"""
import json
from django.contrib import admin
from django.db import connection
from outsourcing.tests.logins import Client  # logs in with the second factor an owner needs
from django.test.utils import CaptureQueriesContext
from milestones.models import CalendarFeed
from projects.models import Project

from django.contrib.auth import get_user_model
owner = get_user_model().objects.get(username="scale.owner")
big = Project.objects.get(title="Scale project with many check-ins")
pages = {
    "bare page": "/accounts/password/",
    "dashboard": "/",
    "project list": "/projects/",
    "project list, in trouble": "/projects/?health=red",
    "project list, active by due date": "/projects/?status=active&sort=-due",
    "project list, page 50": "/projects/?page=50",
    "check-ins": "/checkins/",
    "project page (2,000 check-ins)": big.get_absolute_url(),
    "calendar feed": CalendarFeed.objects.get(user=owner).get_absolute_url(),
    "freelancer list": "/freelancers/",
}
for model in admin.site._registry:
    pages[f"admin {model._meta.app_label}.{model._meta.model_name}"] = (
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    )
client = Client()
client.force_login(owner)
measured = {}
for name, url in pages.items():
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    body = b"".join(response) if response.streaming else response.content
    measured[name] = {"url": url, "status": response.status_code, "queries": len(queries), "bytes": len(body)}
# A calendar app polling a feed it already has sends its ETag back.
feed = pages["calendar feed"]
unchanged = {"If-None-Match": client.get(feed)["ETag"]}
with CaptureQueriesContext(connection) as queries:
    response = client.get(feed, headers=unchanged)
measured["calendar feed, unchanged (304)"] = {
    "url": feed, "headers": unchanged, "status": response.status_code, "queries": len(queries), "bytes": 0
}
print(json.dumps({"cookie": client.cookies["sessionid"].value, "pages": measured}))
"""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    import json

    return json.loads(out.strip().splitlines()[-1])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env, port):
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "outsourcing.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            # A slow page must be measured, not killed at gunicorn's default 30 s.
            "--timeout",
            "300",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def single(url, cookie, headers):
    """One request alone, in milliseconds. It also waits out requests still running from
    the previous page, so each page is measured on an idle server."""
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}", **headers})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
    except urllib.error.HTTPError as error:
        if error.code != 304:  # Not Modified is the answer asked for
            raise
    return (time.perf_counter() - started) * 1000


def wrk(url, cookie, seconds, headers):
    single(url, cookie, headers)
    alone = single(url, cookie, headers)
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            "-c2",
            f"-d{seconds}s",
            "--timeout",
            "60s",
            "--latency",
            "-H",
            f"Cookie: sessionid={cookie}",
            *[option for name, value in headers.items() for option in ("-H", f"{name}: {value}")],
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "alone": alone,
        "rate": rate,
        "p50": p50,
        "p99": p99,
        "errors": int(errors.group(1)) if errors else 0,
    }


def measure(size, seconds, rebuild):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(size),
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-not-used-anywhere-else-0123456789",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "STATIC_ROOT": tempfile.mkdtemp(prefix="hh-bench-static-"),
        "LOG_LEVEL": "WARNING",
    }
    build(size, env, rebuild)
    run("migrate", "--no-input", "-v0", env=env)  # a database built by an older version catches up
    run("collectstatic", "--no-input", "-v0", env=env)
    found = pages_and_cookie(env)
    port = free_port()
    server = start_gunicorn(env, port)
    try:
        for name, page in found["pages"].items():
            url = f"http://127.0.0.1:{port}{page['url']}"
            page.update(wrk(url, found["cookie"], seconds, page.get("headers", {})))
            print(f"  {size}: {name} {page['rate']:.1f} req/s", flush=True)
    finally:
        server.terminate()
        server.wait()
    bare = found["pages"][BARE]
    for page in found["pages"].values():
        page["ratio"] = bare["rate"] / page["rate"] if page["rate"] else float("inf")
    return found["pages"]


def table(size, pages, smaller=None):
    lines = [
        f"\n{size} projects",
        "| page | alone ms | req/s | p50 ms | p99 ms | queries | KB | × bare | growth |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, p in pages.items():
        growth = ""
        if smaller and name in smaller and p["rate"]:
            growth = f"{smaller[name]['rate'] / p['rate']:.2f}"
        flag = " ✗" if p["ratio"] > GOAL_RATIO or (growth and float(growth) > GOAL_GROWTH) else ""
        status = (
            ""
            if p["status"] in {200, 304} and not p["errors"]
            else f" (HTTP {p['status']}, {p['errors']} errors)"
        )
        lines.append(
            f"| {name}{status}{flag} | {p['alone']:.0f} | {p['rate']:.1f} | {p['p50']:.1f} "
            f"| {p['p99']:.1f} | {p['queries']} | {p['bytes'] / 1024:.0f} | {p['ratio']:.2f} | {growth} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    results = {size: measure(size, args.seconds, args.rebuild) for size in sorted(args.sizes)}
    smaller = None
    for size, pages in results.items():
        print(table(size, pages, smaller))
        smaller = pages
    print(f"\n✗: slower than {GOAL_RATIO}x the bare page, or grew more than {GOAL_GROWTH}x between sizes.")


if __name__ == "__main__":
    main()

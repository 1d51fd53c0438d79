"""Settings for Helping Hands, read from environment variables only.

Each variable and its default is listed in .env.example. The defaults run the
whole app on one machine with nothing installed: SQLite and a broker kept in
files under var/. Production sets DEBUG=false and the variables it then requires.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF

from outsourcing import env, sentry

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env.boolean("DEBUG", True)
SECRET_KEY = env.required_in_production(
    "SECRET_KEY", debug=DEBUG, development_default="development-only-key-never-used-with-debug-off"
)
ALLOWED_HOSTS = env.comma_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env.comma_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "outsourcing.apps.LoginAttemptsConfig",  # django-axes
    # Two-factor login: authenticator apps (TOTP) and one-time recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_celery_beat",
    "simple_history",
    "import_export",
    "outsourcing",
    # Shared basics that import no app; an app only for its template tags ({% load money %}).
    "common",
    "freelancers",
    "projects",
    "milestones",
    # After the django_otp plugins, so its admin replaces theirs (two-factor login).
    "dashboard",
]

MIDDLEWARE = [
    # First, so every log line of the request carries its id (common/request_id.py).
    "common.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Refuses NUL characters and impossible dates before anything looks them up.
    "common.request_guard.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A password alone opens no page to someone who must give a second factor.
    "dashboard.middleware.SecondFactorMiddleware",
    # Shows a logged-in user's pages in the time zone they chose.
    "milestones.time_zones.ReaderTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records who made each change kept in the models' history.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "outsourcing.urls"
WSGI_APPLICATION = "outsourcing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "common.policy.context",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DATABASES = {"default": env.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'helping-hands.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a Celery worker started by a test sees the test
    # database; one per test run, so two runs never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-helping-hands-{os.getpid()}.sqlite3")}
    # Take the write lock when a transaction starts, so two workers wait for each other
    # instead of one failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT compilation: a page's queries take milliseconds, and the planner's cost for a
    # filter on subqueries (the project list's health) overshoots past jit_above_cost, where
    # compiling took 17 ms to run a 5 ms count.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: a username from one address is locked out after a few failures.
AXES_FAILURE_LIMIT = env.integer("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures are forgotten once the whole login succeeds, second factor included
# (dashboard/two_factor.py), not when the password alone is right: otherwise a stolen
# password would reset the count of wrong codes with every new try.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind the proxy, count failures against the client, not the proxy everyone shares.
AXES_CLIENT_IP_CALLABLE = "common.client_address.client_address"

# Two-factor login: whose role requires a code from an authenticator app after the password
# (owners, superusers, assistants; comma-separated). Anyone else may turn it on for themselves.
MFA_REQUIRED_FOR = env.word_set(
    "MFA_REQUIRED_FOR", "owners,superusers", allowed={"owners", "superusers", "assistants"}
)
# The name the authenticator app shows beside the code.
OTP_TOTP_ISSUER = env.text("OTP_TOTP_ISSUER") or "Helping Hands"
# The admin never shows a person's secret key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Times are stored in UTC and shown in TIME_ZONE.
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.text("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = env.text("DEFAULT_CURRENCY", "USD").upper()
# A freelancer without a finished trial project may not get a bigger budget than
# this (in the project's currency) unless the owner overrides it with a reason.
TRIAL_BUDGET_LIMIT = env.decimal("TRIAL_BUDGET_LIMIT", "500")

STATIC_URL = "static/"
STATIC_ROOT = env.text("STATIC_ROOT", str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages installed by npm from package-lock.json, never a CDN.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
]
# Uploaded files (work samples) live outside the static tree and are served only through
# views that check the login; MEDIA_URL is never routed. Every file is read and written through
# the storage (STORAGES["default"]), never a local path, so one setting moves them to S3.
MEDIA_STORAGE = env.choice("MEDIA_STORAGE", "local", ("local", "s3"))
MEDIA_ROOT = env.text("MEDIA_ROOT", str(VAR_DIR / "media"))
UPLOAD_MAX_BYTES = env.integer("UPLOAD_MAX_MB", 10) * 1024 * 1024
# Any S3-compatible service (AWS, MinIO, R2...), under django-storages' own setting names. Several
# web machines need it: each sees the files the others received. Keys left empty mean boto3's
# own search (an instance role, ~/.aws); the region and endpoint, the provider's defaults.
AWS_STORAGE_BUCKET_NAME = env.text("AWS_STORAGE_BUCKET_NAME")
if MEDIA_STORAGE == "s3" and not AWS_STORAGE_BUCKET_NAME:
    raise env.ConfigurationError("AWS_STORAGE_BUCKET_NAME", "must be set when MEDIA_STORAGE is s3.")
AWS_S3_ENDPOINT_URL = env.text("AWS_S3_ENDPOINT_URL") or None
AWS_ACCESS_KEY_ID = env.text("AWS_ACCESS_KEY_ID") or None
AWS_SECRET_ACCESS_KEY = env.text("AWS_SECRET_ACCESS_KEY") or None
AWS_S3_REGION_NAME = env.text("AWS_S3_REGION_NAME") or None
# Objects are private: nobody reads them without our keys, and a URL the storage signs
# (nothing in the app asks for one: downloads stream through the view) expires within a minute.
# Buckets that refuse ACLs (AWS's "bucket owner enforced", R2) are private already: set it empty.
AWS_DEFAULT_ACL = env.text("AWS_DEFAULT_ACL", "private") or None
AWS_QUERYSTRING_AUTH = True
AWS_QUERYSTRING_EXPIRE = 60
# Names are random already; never replacing an object is one more guarantee that nothing is lost.
AWS_S3_FILE_OVERWRITE = False
if MEDIA_STORAGE == "s3":
    from botocore.config import Config

    # A storage that stops answering fails a request in seconds instead of holding a web
    # worker for boto3's default minute; MinIO and other hosts may need "path" addressing.
    AWS_S3_CLIENT_CONFIG = Config(
        s3={"addressing_style": env.choice("AWS_S3_ADDRESSING_STYLE", "auto", ("auto", "path", "virtual"))},
        signature_version="s3v4",
        connect_timeout=5,
        read_timeout=30,
        retries={"mode": "standard", "max_attempts": 3},
    )
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage"
        if MEDIA_STORAGE == "s3"
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Links typed without a scheme are taken as https://, as Django 6 will do.
FORMS_URLFIELD_ASSUME_HTTPS = True

# Admin imports run in one transaction: a file with a bad row imports nothing.
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Formulas are kept out of exports by the resources (common.spreadsheets), per text
# column; this library-wide switch would turn empty cells into "None" and numbers into text.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# Control characters XLSX cannot hold (a pasted \x0b) become U+FFFD instead of failing the export.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: in development every email is written to a file under var/mail/.
EMAIL_BACKEND = env.text("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.text("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env.text("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.text("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Helping Hands <hands@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: the broker is a folder under var/ unless CELERY_BROKER_URL names Redis.
CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = env.broker(
    "CELERY_BROKER_URL", f"filesystem://{VAR_DIR / 'broker'}"
)
CELERY_TASK_IGNORE_RESULT = True  # results land in the database, not a result backend
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # with acks_late, a killed worker holds back as little as possible
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "dashboard.tasks.record_heartbeat", "schedule": 60.0},
    # Staff can change this interval in the admin (Periodic tasks); this is the default.
    "reminder-scan": {
        "task": "milestones.tasks.scan_reminders",
        "schedule": 60.0 * env.integer("REMINDER_SCAN_MINUTES", 5),
    },
    # Plans the check-ins of each day that comes inside the planning horizon.
    "checkin-top-up": {"task": "milestones.tasks.top_up_checkins", "schedule": 60.0 * 60 * 24},
    # Returns to pending the reminders a worker claimed and never finished (it died mid-send).
    "reminder-claim-sweep": {"task": "milestones.tasks.sweep_reminder_claims", "schedule": 300.0},
    # Always scheduled, and does nothing unless BACKUP_DAILY is on: the database scheduler keeps
    # an entry once created, so leaving it out when the setting is off would not stop it.
    "daily-backup": {"task": "dashboard.tasks.back_up_daily", "schedule": 60.0 * 60 * 24},
}

# Backups (manage.py backup / restore, dashboard/backups.py): the daily one is off by default.
BACKUP_DAILY = env.boolean("BACKUP_DAILY", False)
# Where archives are written (the daily one, and `backup` without --output).
BACKUP_DIR = env.text("BACKUP_DIR") or str(VAR_DIR / "backups")
# The daily archive also goes to the file storage (under backups/), off this machine when it is S3.
BACKUP_TO_STORAGE = env.boolean("BACKUP_TO_STORAGE", False)

# Check-ins are planned this many days ahead (milestones/planning.py, planning_horizon).
PLANNING_HORIZON_DAYS = env.integer("PLANNING_HORIZON_DAYS", 180)
if PLANNING_HORIZON_DAYS < 1:
    raise env.ConfigurationError("PLANNING_HORIZON_DAYS", f"must be 1 or more, not {PLANNING_HORIZON_DAYS}.")

# Reminders (see milestones/scan.py, delivery.py and digest.py).
# The port `make run` serves on, and the address links in emails and the calendar start with.
PORT = env.integer("PORT", 8000)
SITE_URL = env.text("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
REMINDER_LEAD_HOURS = env.integer("REMINDER_LEAD_HOURS", 24)
MILESTONE_DUE_SOON_DAYS = env.integer("MILESTONE_DUE_SOON_DAYS", 2)
GONE_QUIET_GRACE_DAYS = env.integer("GONE_QUIET_GRACE_DAYS", 2)
REVIEW_OWED_AFTER_DAYS = env.integer("REVIEW_OWED_AFTER_DAYS", 3)
# A pending reminder enqueued longer ago than this is enqueued again by the next scan.
REMINDER_REQUEUE_MINUTES = env.integer("REMINDER_REQUEUE_MINUTES", 10)
REMINDER_MAX_RETRIES = env.integer("REMINDER_MAX_RETRIES", 5)
REMINDER_RETRY_BASE_SECONDS = env.integer("REMINDER_RETRY_BASE_SECONDS", 30)
REMINDER_RETRY_MAX_SECONDS = env.integer("REMINDER_RETRY_MAX_SECONDS", 3600)
# Owners who chose the daily digest get it with the first scan at or after this hour (TIME_ZONE, 0-23).
REMINDER_DIGEST_HOUR = env.integer("REMINDER_DIGEST_HOUR", 7)
if not 0 <= REMINDER_DIGEST_HOUR <= 23:
    raise env.ConfigurationError("REMINDER_DIGEST_HOUR", f"must be 0 to 23, not {REMINDER_DIGEST_HOUR}.")
# How long a freelancer's signed check-in link works, in days.
CHECKIN_LINK_MAX_AGE = env.integer("CHECKIN_LINK_MAX_AGE", 14)

# Replies by email (milestones/reply_address.py, inbound.py): reminders that ask for an update
# carry a Reply-To of REPLY_ADDRESS+<signed token>@REPLY_DOMAIN; mail to it arrives through an
# ESP's inbound webhook (under /inbound/) or `manage.py receive_mail`.
REPLY_ADDRESS = env.text("REPLY_ADDRESS", "reply").lower()
REPLY_DOMAIN = env.text("REPLY_DOMAIN", "localhost").lower()
# "+" and the token take up to 42 characters of the 64 a local part may have (RFC 5321).
if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,19}", REPLY_ADDRESS):
    raise env.ConfigurationError("REPLY_ADDRESS", "must be 1 to 20 letters, digits, dots or hyphens.")
# A reply larger than this (attachments included, as sent) is refused.
INBOUND_MAIL_MAX_BYTES = env.integer("INBOUND_MAIL_MAX_MB", 25) * 1024 * 1024
# django-anymail's inbound webhooks: the "user:password" every ESP is given in its webhook URL
# (basic auth), and Mailgun's own signing key. Without them those webhooks answer 404.
ANYMAIL = {
    "WEBHOOK_SECRET": env.comma_list("INBOUND_WEBHOOK_SECRET"),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.text("MAILGUN_WEBHOOK_SIGNING_KEY"),
}

# The cache holds the check-in link's post counters (rate limiting). Each process's own memory
# is enough for development; production processes must count together, so with DEBUG off and a
# Redis broker the cache is that Redis unless CACHE_URL names another (outsourcing/checks.py
# warns in `check --deploy` when production is left with per-process memory).
CACHE_URL = env.text("CACHE_URL")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise env.ConfigurationError("CACHE_URL", f"must start with redis:// or rediss://, not {CACHE_URL!r}.")
if not CACHE_URL and not DEBUG and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHE_URL = CELERY_BROKER_URL
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        # Beside the broker's queues in the same database: a prefix keeps the keys apart.
        "KEY_PREFIX": "cache",
        # A Redis that stops answering fails the request (and /healthz) within seconds.
        "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "helping-hands"},
}

# Content-Security-Policy: scripts only from our own static files, never inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Style attributes (progress bar widths) are allowed; <style> blocks are not.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Production hardening, on whenever DEBUG is off.
BEHIND_TLS_PROXY = env.boolean("BEHIND_TLS_PROXY", False)
# How many proxies we run in front of the app, each appending to X-Forwarded-For: the client's
# address is the entry this far from the right (common/client_address.py).
TRUSTED_PROXY_COUNT = env.integer("TRUSTED_PROXY_COUNT", 1)
if TRUSTED_PROXY_COUNT < 1:
    raise env.ConfigurationError("TRUSTED_PROXY_COUNT", f"must be 1 or more, not {TRUSTED_PROXY_COUNT}.")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 0 if DEBUG else env.integer("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Logs go to the console. With DEBUG off each line is one JSON object carrying the request id
# (common/json_logs.py), for a log collector; development keeps plain lines for a person.
LOG_FORMAT = env.choice("LOG_FORMAT", "text" if DEBUG else "json", ["json", "text"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "common.json_logs.JsonFormatter"}, "text": {"format": "%(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
    "loggers": {
        # Axes logs every successful login at INFO; keep its warnings only.
        "axes": {"level": "WARNING"},
        # 4xx answers are not server problems, and their paths may hold check-in link tokens.
        "django.request": {"level": "ERROR"},
    },
}
# The worker logs through the same handler, so its lines are JSON too, instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT == "text"

# Errors are reported to Sentry when SENTRY_DSN is set (outsourcing/sentry.py), without personal data.
SENTRY_DSN = env.text("SENTRY_DSN")
if SENTRY_DSN:
    sentry.start(
        SENTRY_DSN, environment=env.text("SENTRY_ENVIRONMENT") or ("development" if DEBUG else "production")
    )

"""Reading configuration from environment variables.

Every setting comes from the environment with a development default. A value
that cannot be used stops start-up with one line naming the variable, because a
traceback from deep inside Django or Celery hides which variable is wrong.
"""

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent

# Broker schemes the app is tested with: the embedded filesystem transport for
# development and Redis for production.
BROKER_SCHEMES = {"filesystem", "redis", "rediss", "memory"}


class ConfigurationError(SystemExit):
    """A bad environment variable; exits with its message and no traceback."""

    def __init__(self, name, problem):
        super().__init__(f"Configuration error: {name} {problem}")


def read_env_file(path=None):
    """Copy the KEY=VALUE lines of the .env file into os.environ before settings load.

    The file is ENV_FILE, else .env beside manage.py; a missing file is fine.
    A variable already set wins, so a command line can override the file. Blank
    lines and # comments are skipped, `export ` is allowed, a value may be in
    single or double quotes, and an unquoted value ends at ` #`.
    """
    path = Path(path or os.environ.get("ENV_FILE") or ROOT / ".env")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key.isidentifier():
            raise ConfigurationError(f"{path}, line {number}:", f"is not KEY=VALUE: {line!r}.")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = value.split(" #", 1)[0].rstrip()
        os.environ.setdefault(key, value)


def text(name, default=""):
    return os.environ.get(name, default).strip()


def required_in_production(name, *, debug, development_default):
    value = text(name)
    if value:
        return value
    if debug:
        return development_default
    raise ConfigurationError(name, "must be set when DEBUG is off.")


def boolean(name, default):
    value = text(name)
    if not value:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(name, f"must be true or false, not {value!r}.")


def choice(name, default, choices):
    value = text(name).lower() or default
    if value not in choices:
        raise ConfigurationError(name, f"must be one of {', '.join(choices)}, not {value!r}.")
    return value


def integer(name, default):
    value = text(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(name, f"must be a whole number, not {value!r}.") from None


def decimal(name, default):
    value = text(name) or default
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ConfigurationError(name, f"must be a number such as 500 or 499.99, not {value!r}.") from None


def comma_list(name, default=""):
    return [item.strip() for item in text(name, default).split(",") if item.strip()]


def word_set(name, default, *, allowed):
    """A comma-separated choice of words from `allowed`, e.g. "owners,assistants"."""
    words = {word.strip() for word in (text(name) or default).split(",") if word.strip()}
    unknown = sorted(words - set(allowed))
    if unknown:
        raise ConfigurationError(
            name, f"may only name {', '.join(sorted(allowed))} (comma-separated), not {', '.join(unknown)}."
        )
    return frozenset(words)


def database(name, default):
    url = text(name) or default
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ConfigurationError(name, f"is not a usable database URL: {error}") from None
    if not config.get("NAME"):
        raise ConfigurationError(name, f"names no database: {url!r}.")
    return config


def broker(name, default):
    """Return (broker URL, transport options) for Celery.

    A filesystem URL carries the folder in its path (filesystem:///srv/app/var/broker);
    kombu wants it as transport options, so they are derived here.
    """
    url = text(name) or default
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError as error:
        raise ConfigurationError(name, f"is not a usable broker URL: {error}.") from None
    if parts.scheme not in BROKER_SCHEMES:
        raise ConfigurationError(
            name, f"must start with one of {', '.join(sorted(BROKER_SCHEMES))}://, not {url!r}."
        )
    if parts.scheme != "filesystem":
        # Redis redelivers an unacknowledged task after this long; it must outlast the
        # longest retry countdown, or a waiting retry would be delivered twice.
        return url, {"visibility_timeout": 4 * 3600}
    if not parts.path or parts.path == "/":
        raise ConfigurationError(name, "must name a folder, e.g. filesystem:///srv/app/var/broker.")
    folder = Path(parts.path)
    options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        # kombu polls the folder; its default of 1 s caps a worker at about one task a second.
        "polling_interval": 0.1,
    }
    # kombu ignores the host, but warns on every connection when there is none.
    return "filesystem://localhost/", options

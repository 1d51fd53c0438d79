"""The site's top layer: the dashboard, /healthz, the worker's heartbeat, the roles'
wiring to `migrate`, and the commands and demo data that fill every app at once."""

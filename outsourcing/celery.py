import os

from celery import Celery

from outsourcing.env import read_env_file

read_env_file()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsourcing.settings")

app = Celery("outsourcing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import os

from django.core.asgi import get_asgi_application

from outsourcing.env import read_env_file

read_env_file()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsourcing.settings")

application = get_asgi_application()

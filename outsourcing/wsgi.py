import os

from django.core.wsgi import get_wsgi_application

from outsourcing.env import read_env_file

read_env_file()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsourcing.settings")

application = get_wsgi_application()

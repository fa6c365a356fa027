"""The Celery app the stack starts as `celery -A config worker|beat` (components/app/django-app.ts)."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("config")
# Every CELERY_* Django setting configures Celery (broker from CELERY_BROKER_URL).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

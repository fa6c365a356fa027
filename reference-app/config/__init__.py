import os

# django-prometheus in prometheus_client's multiprocess mode (one /metrics for all gunicorn
# workers) keeps its counters in this folder; it must exist before any metric is created.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# Celery's app is loaded with Django, so @shared_task binds to it (`celery -A config`).
from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app",)

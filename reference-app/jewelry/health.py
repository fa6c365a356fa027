"""/health/: the container healthcheck, nginx's health location and the blackbox probe.

Answered before any other middleware: the container healthcheck asks
http://127.0.0.1:8000/health/, whose host is not in ALLOWED_HOSTS and whose scheme
SECURE_SSL_REDIRECT would redirect. It proves the two things a request needs: the database
(through PgBouncer) and Redis. Errors are named by type only: no connection string leaks.
"""
from django.db import connection
from django.http import JsonResponse

HEALTH_PATH = "/health/"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        return f"error: {type(error).__name__}"


def redis_status() -> str:
    try:
        from django_redis import get_redis_connection

        get_redis_connection("default").ping()
        return "ok"
    except Exception as error:  # noqa: BLE001
        return f"error: {type(error).__name__}"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        checks = {"database": database_status(), "redis": redis_status()}
        healthy = all(value == "ok" for value in checks.values())
        response = JsonResponse(checks, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response


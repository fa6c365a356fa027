"""Settings that do not depend on the environment."""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "jewelry",
    "tenants",
    "inventory",
    "sales",
    "customers",
    "repairs",
]

MIDDLEWARE = [
    # First: the container healthcheck asks http://127.0.0.1:8000/health/, a host and scheme the
    # rest of the chain (ALLOWED_HOSTS, SECURE_SSL_REDIRECT) would refuse.
    "jewelry.health.HealthCheckMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# django-prometheus would query the database for unapplied migrations whenever Django starts: the
# collectstatic and compilemessages jobs, and a worker during a database outage, must start without it.
PROMETHEUS_EXPORT_MIGRATIONS = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# compilemessages writes the .mo files here; the stack mounts a volume per image version on it.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
# collectstatic fills this folder, the `static` volume that nginx serves at /static/.
STATIC_ROOT = "/app/staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Hashed names: nginx sends them with a one-year immutable Cache-Control.
STATICFILES_STORAGE = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
MEDIA_URL = "/media/"
MEDIA_ROOT = "/app/media"

# Row-level security (components/postgres/row-level-security.ts): the custom setting the
# tenant_isolation policies compare each row's tenant_id with.
TENANT_SETTING = "app.current_tenant"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}

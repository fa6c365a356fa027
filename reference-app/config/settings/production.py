"""config.settings.production: the stack's DJANGO_SETTINGS_MODULE (components/app/app-env.ts).

Every value comes from the environment. Credentials arrive as /run/secrets/<NAME> files, which
the container's entrypoint exports as the variables of the same name before Django starts.
"""
import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .environment import flag, names, optional, required

SECRET_KEY = required("DJANGO_SECRET_KEY")
DEBUG = flag("DEBUG", default=False)
ALLOWED_HOSTS = names("DJANGO_ALLOWED_HOSTS")
SITE_URL = required("SITE_URL")
ENVIRONMENT = required("ENVIRONMENT")

# DATABASE_URL: PgBouncer for web, worker and beat (transaction pooling); PostgreSQL itself for the
# migrate job. TLS verify-full against the stack's CA (sslmode/sslrootcert from the URL's query).
DATABASES = {"default": dj_database_url.parse(required("DATABASE_URL"), engine="django.db.backends.postgresql", conn_max_age=60)}
# Transaction pooling hands each transaction any server connection: server-side cursors (which
# live across transactions) would break, so the stack turns them off through PgBouncer.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = flag("DISABLE_SERVER_SIDE_CURSORS", default=False)

# Cache on Redis db 0 (REDIS_URL), Celery's broker on db 1 (CELERY_BROKER_URL), both as the ACL
# user the stack creates for the app.
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": required("REDIS_URL"),
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient", "SOCKET_CONNECT_TIMEOUT": 3, "SOCKET_TIMEOUT": 3},
    }
}
CELERY_BROKER_URL = required("CELERY_BROKER_URL")
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery below 5.3 (Debian's 5.2.6) reconnects after the broker restarts and then never consumes
# again (celery/celery#8030). So the worker exits when it loses the broker (and when it cannot reach
# it at start), and Docker's restart policy starts a fresh one; a task it was running is redelivered
# (acks late).
CELERY_BROKER_CONNECTION_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "count-stock-every-10-minutes": {"task": "inventory.tasks.count_stock_for_all_tenants", "schedule": 600.0},
}

# Keys the stack generates (Fernet): a malformed one stops the app here, not at the first use.
FIELD_ENCRYPTION_KEY = required("FIELD_ENCRYPTION_KEY")
BACKUP_ENCRYPTION_KEY = required("BACKUP_ENCRYPTION_KEY")
for _name, _key in (("FIELD_ENCRYPTION_KEY", FIELD_ENCRYPTION_KEY), ("BACKUP_ENCRYPTION_KEY", BACKUP_ENCRYPTION_KEY)):
    try:
        Fernet(_key)
    except ValueError as error:
        raise ImproperlyConfigured(f"{_name} is not a Fernet key: {error}") from None

# Behind nginx: TLS ends there, which says so in X-Forwarded-Proto (components/nginx/nginx-conf.ts).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
# nginx sets HSTS and the other security headers and hides the app's own; these match its values.
SECURE_HSTS_SECONDS = 63_072_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# HSTS preload is the operator's decision (nginx's hsts.preload), not the app's.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

DEFAULT_FROM_EMAIL = required("DEFAULT_FROM_EMAIL")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_PROVIDER = required("EMAIL_PROVIDER")
if EMAIL_PROVIDER == "smtp":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = required("EMAIL_HOST")
    EMAIL_PORT = int(required("EMAIL_PORT"))
    EMAIL_HOST_USER = optional("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = optional("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = flag("EMAIL_USE_TLS", default=True)
else:
    # SendGrid, Mailgun and SES go through their APIs (django-anymail in the shop's app, with
    # SENDGRID_API_KEY, MAILGUN_API_KEY/MAILGUN_DOMAIN or AWS_SES_*); anymail has no Debian
    # package, so the reference app writes mail to its log.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Passed through for the shop's integrations; the reference app calls none of them.
STRIPE_PUBLISHABLE_KEY = required("STRIPE_PUBLISHABLE_KEY")
STRIPE_SECRET_KEY = optional("STRIPE_SECRET_KEY")
TWILIO_ACCOUNT_SID = required("TWILIO_ACCOUNT_SID")
TWILIO_PHONE_NUMBER = required("TWILIO_PHONE_NUMBER")
SENTRY_DSN = optional("SENTRY_DSN")
# Media: the shop stores uploads on R2 (django-storages, AWS_STORAGE_BUCKET_NAME and friends);
# the reference app keeps them in MEDIA_ROOT, the `media` volume.
AWS_STORAGE_BUCKET_NAME = optional("AWS_STORAGE_BUCKET_NAME")

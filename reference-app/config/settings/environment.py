"""Typed readers of the environment the stack gives the app (components/app/app-env.ts).

A missing or malformed value stops the app at start-up with the variable's name, never later.
"""
import os

from django.core.exceptions import ImproperlyConfigured


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: the stack delivers it (as /run/secrets/{name} for credentials)")
    return value


def optional(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, got {value!r}")
    return value == "True"


def names(name: str) -> list:
    """A comma-separated list, e.g. DJANGO_ALLOWED_HOSTS."""
    return [item.strip() for item in required(name).split(",") if item.strip()]

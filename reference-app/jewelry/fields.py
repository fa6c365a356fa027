"""A text column encrypted with FIELD_ENCRYPTION_KEY (Fernet), as the shop keeps personal data."""
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import models


def _fernet() -> Fernet:
    return Fernet(settings.FIELD_ENCRYPTION_KEY)


class EncryptedTextField(models.TextField):
    def get_prep_value(self, value):
        if value is None:
            return None
        return _fernet().encrypt(str(value).encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return _fernet().decrypt(value.encode()).decode()

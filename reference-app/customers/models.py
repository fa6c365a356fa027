from django.db import models

from jewelry.fields import EncryptedTextField
from jewelry.models import TenantScoped


class Customer(TenantScoped):
    """Table customers_customer, under row-level security; the phone number is encrypted at rest."""

    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = EncryptedTextField(blank=True)

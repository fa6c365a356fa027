from django.db import models

from jewelry.models import TenantScoped


class Sale(TenantScoped):
    """Table sales_sale, under row-level security."""

    item = models.ForeignKey("inventory.Item", on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    total_cents = models.PositiveBigIntegerField()
    sold_at = models.DateTimeField(auto_now_add=True)

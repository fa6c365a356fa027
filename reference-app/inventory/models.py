from django.db import models

from jewelry.models import TenantScoped


class Item(TenantScoped):
    """A piece in stock. Table inventory_item, under row-level security (Pulumi.production.yaml)."""

    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "sku"], name="inventory_item_tenant_sku")]

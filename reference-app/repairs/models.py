from django.db import models

from jewelry.models import TenantScoped


class RepairOrder(TenantScoped):
    """Table repairs_repairorder, under row-level security."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        IN_PROGRESS = "in_progress"
        READY = "ready"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT)
    description = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField(auto_now_add=True)

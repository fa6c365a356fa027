from celery import shared_task
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from jewelry.tenancy import tenant_transaction
from tenants.models import Tenant

from .models import Item


def stock_count_key(tenant_id: int) -> str:
    return f"stock-count:{tenant_id}"


@shared_task(bind=True)
def count_stock(self, tenant_id: int) -> int:
    """Counts one shop's pieces in stock (database through PgBouncer) into the cache (Redis).

    The result names the task that wrote it: beat counts every tenant too, so a client that queued a
    count waits for its own task's result rather than reading an earlier one."""
    with tenant_transaction(tenant_id):
        # No filter on tenant: row-level security shows this tenant's rows only.
        total = Item.objects.aggregate(total=Sum("quantity"))["total"] or 0
    cache.set(stock_count_key(tenant_id), {"pieces": total, "counted_at": timezone.now().isoformat(), "task": self.request.id}, timeout=3600)
    return total


@shared_task
def count_stock_for_all_tenants() -> None:
    """Celery beat's schedule (settings.CELERY_BEAT_SCHEDULE)."""
    for tenant_id in Tenant.objects.values_list("id", flat=True):
        count_stock.delay(tenant_id)

from celery import shared_task
from django.core.cache import cache
from django.db.models import Sum
from django.utils import timezone

from jewelry.tenancy import tenant_transaction
from tenants.models import Tenant

from .models import Item


def stock_count_key(tenant_id: int, task_id: str | None = None) -> str:
    """The tenant's latest count, or (with task_id) the count one task made."""
    return f"stock-count:{tenant_id}" if task_id is None else f"stock-count:{tenant_id}:task:{task_id}"


@shared_task(bind=True)
def count_stock(self, tenant_id: int) -> int:
    """Counts one shop's pieces in stock (database through PgBouncer) into the cache (Redis).

    Stored twice: as the tenant's latest count and under the task's id, since beat counts every
    tenant too and two counts of one tenant can finish in either order."""
    with tenant_transaction(tenant_id):
        # No filter on tenant: row-level security shows this tenant's rows only.
        total = Item.objects.aggregate(total=Sum("quantity"))["total"] or 0
    counted = {"pieces": total, "counted_at": timezone.now().isoformat(), "task": self.request.id}
    cache.set_many({stock_count_key(tenant_id): counted, stock_count_key(tenant_id, self.request.id): counted}, timeout=3600)
    return total


@shared_task
def count_stock_for_all_tenants() -> None:
    """Celery beat's schedule (settings.CELERY_BEAT_SCHEDULE)."""
    for tenant_id in Tenant.objects.values_list("id", flat=True):
        count_stock.delay(tenant_id)

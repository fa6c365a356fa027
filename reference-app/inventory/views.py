"""A small tenant API, the stand-up's probe of the app contract.

The tenant is the one in the URL; every read and write runs in that tenant's transaction, and the
list deliberately does not filter by tenant: PostgreSQL's row-level security is the isolation,
and the stand-up proves it through these views. The shop's real API authenticates its users and
derives the tenant from them; these endpoints have no authentication and exist for the stand-up.
"""
import json

from django.core.cache import cache
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from jewelry.tenancy import tenant_transaction
from tenants.models import Tenant

from .models import Item
from .tasks import count_stock, stock_count_key


def _item(item: Item) -> dict:
    return {"id": item.id, "tenant": item.tenant_id, "sku": item.sku, "name": item.name, "quantity": item.quantity}


@csrf_exempt
@require_http_methods(["GET", "POST"])
def items(request, tenant):
    tenant = get_object_or_404(Tenant, slug=tenant)
    if request.method == "GET":
        with tenant_transaction(tenant.id):
            rows = [_item(item) for item in Item.objects.order_by("sku")]
        return JsonResponse({"tenant": tenant.slug, "items": rows})
    try:
        body = json.loads(request.body or b"{}")
        fields = {"sku": str(body["sku"]), "name": str(body["name"]), "quantity": int(body.get("quantity", 0))}
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "expected JSON with sku, name and an integer quantity"}, status=400)
    try:
        with tenant_transaction(tenant.id):
            item = Item.objects.create(tenant=tenant, **fields)
    except IntegrityError:
        return JsonResponse({"error": f"sku {fields['sku']} exists"}, status=409)
    return JsonResponse(_item(item), status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def stock_count(request, tenant):
    tenant = get_object_or_404(Tenant, slug=tenant)
    if request.method == "POST":
        result = count_stock.delay(tenant.id)
        return JsonResponse({"task": result.id}, status=202)
    # ?task=<id> (as the POST answered) asks for that task's count, else the latest.
    counted = cache.get(stock_count_key(tenant.id, request.GET.get("task")))
    if counted is None:
        raise Http404("not counted yet")
    return JsonResponse({"tenant": tenant.slug, **counted})

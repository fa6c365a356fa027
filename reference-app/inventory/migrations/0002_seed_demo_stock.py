"""Data migration: two demo shops and their stock.

It writes tenant rows, so it sets the tenant per transaction like the app does: once row-level
security is in force (the stack applies it after the first migrate) the migration role may only
write rows of the tenant it has set. With a role that bypasses RLS the setting is simply unused.
"""
from django.conf import settings
from django.db import migrations

DEMO_STOCK = {
    ("goldleaf", "Goldleaf Jewelry"): [("GL-RING-001", "Gold ring, 18k", 12), ("GL-NECK-002", "Pearl necklace", 4)],
    ("silverline", "Silverline Atelier"): [("SL-BRAC-001", "Silver bracelet", 20)],
}


def set_tenant(schema_editor, tenant_id):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [settings.TENANT_SETTING, str(tenant_id)])


def seed(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Item = apps.get_model("inventory", "Item")
    for (slug, name), items in DEMO_STOCK.items():
        tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": name})
        set_tenant(schema_editor, tenant.id)
        for sku, item_name, quantity in items:
            Item.objects.get_or_create(tenant=tenant, sku=sku, defaults={"name": item_name, "quantity": quantity})


def unseed(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Item = apps.get_model("inventory", "Item")
    for (slug, _name), items in DEMO_STOCK.items():
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            continue
        set_tenant(schema_editor, tenant.id)
        Item.objects.filter(tenant=tenant, sku__in=[sku for sku, _, _ in items]).delete()


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("tenants", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

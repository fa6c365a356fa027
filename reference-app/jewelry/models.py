from django.db import models


class TenantScoped(models.Model):
    """A row that belongs to one tenant. Its table is listed in the stack's postgres.tenantTables,
    so PostgreSQL shows and accepts it only inside that tenant's transaction (jewelry.tenancy)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT)

    class Meta:
        abstract = True

"""The tenant of a unit of work, as PostgreSQL's row-level security sees it.

Every tenant table has a policy comparing its tenant_id with the setting app.current_tenant
(components/postgres/rls-sql.ts). Through PgBouncer in transaction pooling, consecutive
transactions of one Django connection may run on different server connections, and a server
connection serves other clients in between: a session-level `SET` would leak this tenant to
them. So the tenant is set with set_config(…, true), which lasts until the end of the current
transaction, inside the transaction that does the work. Outside tenant_transaction the setting
is empty and every tenant table reads as empty.
"""
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction


def set_tenant_for_transaction(tenant_id: int, using=None) -> None:
    """Sets the tenant until the current transaction ends; must run inside one."""
    conn = connection if using is None else using
    if not conn.in_atomic_block:
        raise RuntimeError("the tenant must be set inside a transaction (transaction.atomic)")
    with conn.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [settings.TENANT_SETTING, str(int(tenant_id))])


@contextmanager
def tenant_transaction(tenant_id: int):
    """A transaction in which the tenant tables show and accept only `tenant_id`'s rows."""
    with transaction.atomic():
        set_tenant_for_transaction(tenant_id)
        yield

from django.contrib import admin
from django.urls import include, path

from inventory import views as inventory
from jewelry.views import home

urlpatterns = [
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    path("api/tenants/<slug:tenant>/items/", inventory.items, name="items"),
    path("api/tenants/<slug:tenant>/stock-count/", inventory.stock_count, name="stock-count"),
    # /metrics: django-prometheus. nginx serves it to Prometheus only, from its status port.
    path("", include("django_prometheus.urls")),
]

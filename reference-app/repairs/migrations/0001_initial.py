import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [("tenants", "0001_initial"), ("customers", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="RepairOrder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("description", models.TextField()),
                ("status", models.CharField(choices=[("received", "Received"), ("in_progress", "In Progress"), ("ready", "Ready")], default="received", max_length=16)),
                ("received_at", models.DateTimeField(auto_now_add=True)),
                ("customer", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="customers.customer")),
                ("tenant", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="tenants.tenant")),
            ],
        ),
    ]

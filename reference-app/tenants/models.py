from django.db import models


class Tenant(models.Model):
    """A shop on the platform. Not a tenant table itself: it is the registry the others point to."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)

    def __str__(self):
        return self.name

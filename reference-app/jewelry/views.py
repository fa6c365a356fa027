from django.http import HttpResponse
from django.utils.translation import gettext as _


def home(request):
    # Translated (locale/<lang>/LC_MESSAGES): proves compilemessages ran for this image.
    return HttpResponse(_("Goldleaf jewelry: reference app"), content_type="text/plain; charset=utf-8")

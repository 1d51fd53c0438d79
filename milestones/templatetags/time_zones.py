from django import template
from django.utils import timezone

from milestones import time_zones

register = template.Library()


@register.filter
def zone_label(moment):
    """The zone a page shows `moment` in (the reader's), named as emails name it."""
    return time_zones.zone_label(timezone.localtime(moment)) if moment else ""

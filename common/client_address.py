"""Who sent a request: the address that rate limits and login throttling count against."""

import ipaddress

from django.conf import settings


def client_address(request):
    """The client's address: REMOTE_ADDR, or behind our TLS proxy the hop the proxy recorded.

    Each proxy appends the address it received the request from to X-Forwarded-For, so the
    right-most TRUSTED_PROXY_COUNT entries were written by proxies we run; the left-most of
    those is the client. Anything further left was typed by the client and is ignored. Without
    BEHIND_TLS_PROXY the header is ignored entirely: anyone can send it.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_TLS_PROXY:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    count = settings.TRUSTED_PROXY_COUNT
    if count < 1 or len(hops) < count:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote

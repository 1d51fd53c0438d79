"""The Reply-To address of a reminder that asks for an update: REPLY_ADDRESS+<token>@REPLY_DOMAIN.

The token names one check-in and one recipient (the project's freelancer, or an owner) and
expires like the check-in link. It holds lowercase letters, digits and hyphens only, so it
survives the mail systems that lowercase an address's local part, and is short enough for the
64 characters RFC 5321 allows a local part: the kind of recipient, the two ids and the time it
was made in base 36, then an HMAC of those (django.utils.crypto.salted_hmac, keyed with
SECRET_KEY as django.core.signing is, its fallbacks accepted) cut to 80 bits, in base 32.

    reply+f1c-3f-t2k9wq-7c4xq2mbh5r6e3sa@replies.example.com
          ^kind and check-in, ^recipient, ^time, ^signature
"""

import base64
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

SALT = "milestones.reply-address"
FREELANCER = "f"
OWNER = "o"
MAC_LENGTH = 16  # base 32 characters: 80 bits
LOCAL_PART_LIMIT = 64


@dataclass(frozen=True)
class ReplyTo:
    """What a reply address names: a check-in, and who the reminder went to."""

    checkin_id: int
    kind: str  # FREELANCER or OWNER
    recipient_id: int  # the freelancer's id, or the owner's user id

    @property
    def from_owner(self):
        return self.kind == OWNER


def _mac(payload, secret):
    digest = salted_hmac(SALT, payload, secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode().lower()[:MAC_LENGTH]


def reply_token(checkin, *, freelancer=None, user=None, now=None):
    """The token for a reminder about `checkin` going to `freelancer` or to the owner `user`."""
    kind, recipient = (FREELANCER, freelancer) if freelancer is not None else (OWNER, user)
    made = int(now if now is not None else time.time())
    payload = f"{kind}{int_to_base36(checkin.pk)}-{int_to_base36(recipient.pk)}-{int_to_base36(made)}"
    return f"{payload}-{_mac(payload, settings.SECRET_KEY)}"


def reply_address(checkin, *, freelancer=None, user=None, now=None):
    """The Reply-To address for that reminder; None in the unlikely case that ids this large
    would not fit in a local part (the email then goes without one)."""
    local = f"{settings.REPLY_ADDRESS}+{reply_token(checkin, freelancer=freelancer, user=user, now=now)}"
    if len(local) > LOCAL_PART_LIMIT:
        return None
    return f"{local}@{settings.REPLY_DOMAIN}"


def read_reply_address(address, *, now=None):
    """What a reply address names. Raises signing.BadSignature for an address that is not
    ours or whose token is malformed or tampered with, and its subclass SignatureExpired
    once it is older than a check-in link may be (CHECKIN_LINK_MAX_AGE)."""
    local, _, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    prefix = f"{settings.REPLY_ADDRESS}+"
    if domain != settings.REPLY_DOMAIN or not local.startswith(prefix):
        raise signing.BadSignature("not a reply address")
    token = local.removeprefix(prefix)
    parts = token.split("-")
    if len(parts) != 4 or not parts[0] or parts[0][0] not in (FREELANCER, OWNER):
        raise signing.BadSignature("malformed reply token")
    payload, mac = "-".join(parts[:3]), parts[3]
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(constant_time_compare(mac, _mac(payload, key)) for key in keys):
        raise signing.BadSignature("reply token signature does not match")
    try:
        checkin_id, recipient_id, made = (base36_to_int(part) for part in (parts[0][1:], parts[1], parts[2]))
    except ValueError:
        raise signing.BadSignature("malformed reply token") from None
    age = (now if now is not None else time.time()) - made
    if age > settings.CHECKIN_LINK_MAX_AGE * 24 * 3600:
        raise signing.SignatureExpired(f"reply token is {age:.0f} s old")
    return ReplyTo(checkin_id=checkin_id, kind=parts[0][0], recipient_id=recipient_id)

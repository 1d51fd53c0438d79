"""Money is a Decimal amount with an ISO 4217 currency code, never a float."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

currency_code_validator = RegexValidator(
    r"^[A-Z]{3}$", "Use a three-letter currency code such as USD, EUR or GBP."
)


def default_currency():
    return settings.DEFAULT_CURRENCY


class CurrencyField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("default", default_currency)
        kwargs.setdefault("validators", [currency_code_validator])
        kwargs.setdefault("help_text", "Three-letter code, e.g. USD.")
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        # "usd " is what people type; store "USD".
        value = super().to_python(value)
        return value.strip().upper() if isinstance(value, str) else value


def format_money(amount, currency):
    """'USD 1,234.50' for people; an empty string when the amount is unknown."""
    if amount is None:
        return ""
    return f"{currency} {Decimal(amount):,.2f}"

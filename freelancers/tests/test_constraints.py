"""Rules the database itself enforces, and the plain words full_clean() gives for each.

Each rule is checked twice: the row is written without full_clean() (bulk_create or update(), as an
import or a script would) and must fail with IntegrityError, and the same row through full_clean()
must be refused with words a person can act on.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.money import format_money
from freelancers import models
from freelancers.tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def same_email_in_other_case():
    factories.FreelancerFactory(email="ana.silva@example.com")
    return models.Freelancer(name="Ana Silva", email="Ana.Silva@EXAMPLE.com", currency="USD")


def negative_hourly_rate():
    return factories.FreelancerFactory.build(hourly_rate=Decimal("-0.01"))


def do_not_hire_without_reason():
    return factories.FreelancerFactory.build(do_not_hire=True, do_not_hire_reason="")


def sample_rated(rating):
    def make():
        return factories.WorkSampleFactory.build(freelancer=factories.FreelancerFactory(), rating=rating)

    return make


def sample_without_link_or_file():
    return factories.WorkSampleFactory.build(freelancer=factories.FreelancerFactory(), url="", file="")


def revoked_before_granted():
    today = timezone.localdate()
    return factories.AccessGrantFactory.build(
        freelancer=factories.FreelancerFactory(),
        granted_on=today - DAY,
        revoke_by=today,
        revoked_on=today - 2 * DAY,
    )


def revoke_by_before_granted():
    today = timezone.localdate()
    return factories.AccessGrantFactory.build(
        freelancer=factories.FreelancerFactory(), granted_on=today, revoke_by=today - DAY
    )


def reference_outcome(outcome):
    def make():
        return factories.ReferenceFactory.build(
            freelancer=factories.FreelancerFactory(), outcome=outcome, contacted_on=None
        )

    return make


def verified_testimonial_without_how():
    return factories.TestimonialFactory.build(
        freelancer=factories.FreelancerFactory(), verified=True, verified_how=""
    )


def same_skill_in_other_case():
    factories.SkillFactory(name="WordPress")
    return models.Skill(name="wordpress")


def two_freelancers():
    factories.FreelancerFactory(email="bo@example.com")
    return factories.FreelancerFactory()


def two_skills():
    factories.SkillFactory(name="SEO")
    return factories.SkillFactory(name="Ads")


def refused_by(constraint, raised):
    """Whether the database named `constraint` in its error (PostgreSQL and SQLite both do)."""
    return constraint in str(raised.value)


Outcome = models.Reference.Outcome

# An unsaved row breaking one rule, the constraint that must catch it, the words full_clean must say.
BROKEN_ROWS = [
    pytest.param(
        same_email_in_other_case, "freelancer_email_unique_ci", "already has this email", id="email"
    ),
    pytest.param(negative_hourly_rate, "freelancer_rate_not_negative", "cannot be negative", id="rate"),
    pytest.param(
        do_not_hire_without_reason, "freelancer_do_not_hire_has_reason", "must not be hired", id="dnh"
    ),
    pytest.param(sample_rated(0), "sample_rating_1_to_5", "from 1 to 5", id="rating 0"),
    pytest.param(sample_rated(6), "sample_rating_1_to_5", "from 1 to 5", id="rating 6"),
    pytest.param(
        sample_without_link_or_file,
        "sample_has_link_or_file",
        "link to the sample or upload a file",
        id="sample without link or file",
    ),
    pytest.param(
        revoked_before_granted,
        "grant_revoked_after_granted",
        "revoked before it was granted",
        id="revoked before granted",
    ),
    pytest.param(
        revoke_by_before_granted,
        "grant_revoke_by_after_granted",
        "cannot be before the grant date",
        id="revoke-by before granted",
    ),
    *(
        pytest.param(
            reference_outcome(outcome),
            "reference_outcome_needs_contact_date",
            "date you contacted them",
            id=f"{outcome.label.lower()} reference without contact date",
        )
        for outcome in [Outcome.POSITIVE, Outcome.MIXED, Outcome.NEGATIVE, Outcome.UNREACHABLE]
    ),
    pytest.param(
        verified_testimonial_without_how,
        "testimonial_verified_says_how",
        "how you verified",
        id="verified testimonial without how",
    ),
    pytest.param(same_skill_in_other_case, "skill_name_unique_ci", "exists already", id="skill name"),
]


@pytest.mark.parametrize(("make", "constraint", "words"), BROKEN_ROWS)
def test_the_database_refuses_a_row_that_breaks_a_rule(make, constraint, words):
    row = make()
    model = type(row)
    before = model.objects.count()

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        model.objects.bulk_create([row])

    assert refused_by(constraint, raised), raised.value
    assert model.objects.count() == before


@pytest.mark.parametrize(("make", "constraint", "words"), BROKEN_ROWS)
def test_full_clean_refuses_a_row_that_breaks_a_rule_in_plain_words(make, constraint, words):
    row = make()

    with pytest.raises(ValidationError) as refused:
        row.full_clean()

    said = " ".join(refused.value.messages)
    assert words.lower() in said.lower(), said


# A saved valid row, an update() that breaks one rule, the constraint that must catch it.
BREAKING_UPDATES = [
    pytest.param(
        factories.FreelancerFactory, {"hourly_rate": Decimal("-5")}, "freelancer_rate_not_negative", id="rate"
    ),
    pytest.param(
        factories.FreelancerFactory, {"do_not_hire": True}, "freelancer_do_not_hire_has_reason", id="dnh"
    ),
    pytest.param(two_freelancers, {"email": "BO@example.com"}, "freelancer_email_unique_ci", id="email"),
    pytest.param(
        lambda: factories.WorkSampleFactory(rating=3), {"rating": 9}, "sample_rating_1_to_5", id="rating 9"
    ),
    pytest.param(factories.WorkSampleFactory, {"url": ""}, "sample_has_link_or_file", id="link removed"),
    pytest.param(
        factories.AccessGrantFactory,
        {"revoked_on": datetime.date(2000, 1, 1)},
        "grant_revoked_after_granted",
        id="revoked before granted",
    ),
    pytest.param(
        factories.AccessGrantFactory,
        {"revoke_by": datetime.date(2000, 1, 1)},
        "grant_revoke_by_after_granted",
        id="revoke-by before granted",
    ),
    pytest.param(
        factories.ReferenceFactory,
        {"outcome": Outcome.NEGATIVE},
        "reference_outcome_needs_contact_date",
        id="outcome without contact date",
    ),
    pytest.param(
        factories.TestimonialFactory, {"verified": True}, "testimonial_verified_says_how", id="verified"
    ),
    pytest.param(two_skills, {"name": "seo"}, "skill_name_unique_ci", id="skill name"),
]


@pytest.mark.parametrize(("make", "change", "constraint"), BREAKING_UPDATES)
def test_an_update_that_breaks_a_rule_is_refused_by_the_database(make, change, constraint):
    row = make()
    model = type(row)
    before = model.objects.filter(pk=row.pk).values(*change).get()

    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**change)

    assert refused_by(constraint, raised), raised.value
    assert model.objects.filter(pk=row.pk).values(*change).get() == before


def test_a_rule_abiding_freelancer_passes_full_clean():
    # The counterpart of the refusals above: valid data is not refused by an overly strict rule.
    factories.FreelancerFactory(email="ana.silva@example.com")
    freelancer = factories.FreelancerFactory.build(
        email="ana.silva@example.org", hourly_rate=Decimal("0"), timezone="America/Sao_Paulo", currency="BRL"
    )

    freelancer.full_clean()


def test_related_rows_that_abide_by_the_rules_pass_full_clean():
    freelancer = factories.FreelancerFactory()
    today = timezone.localdate()

    factories.WorkSampleFactory.build(freelancer=freelancer, rating=1).full_clean()
    factories.WorkSampleFactory.build(freelancer=freelancer, rating=5).full_clean()
    factories.AccessGrantFactory.build(
        freelancer=freelancer, granted_on=today, revoke_by=today, revoked_on=today
    ).full_clean()
    factories.ReferenceFactory.build(freelancer=freelancer).full_clean()
    factories.ReferenceFactory.build(freelancer=freelancer, positive=True).full_clean()
    factories.TestimonialFactory.build(
        freelancer=freelancer, verified=True, verified_how="Called the author."
    ).full_clean()
    models.Skill(name="Bookkeeping").full_clean()


def test_an_unknown_timezone_is_refused_by_full_clean_in_plain_words():
    freelancer = factories.FreelancerFactory.build(timezone="Mars/Olympus_Mons")

    with pytest.raises(ValidationError) as refused:
        freelancer.full_clean()

    assert "not a time zone we know" in " ".join(refused.value.message_dict["timezone"])


@pytest.mark.parametrize("code", ["usd1", "US", "U$D", "12A"])
def test_a_malformed_currency_code_is_refused_by_full_clean_in_plain_words(code):
    freelancer = factories.FreelancerFactory.build(currency=code)

    with pytest.raises(ValidationError) as refused:
        freelancer.full_clean()

    assert "three-letter currency code" in " ".join(refused.value.message_dict["currency"])


def test_money_is_shown_with_its_currency_grouped_and_to_the_cent():
    assert format_money(Decimal("1234.5"), "USD") == "USD 1,234.50"
    assert format_money(Decimal("1234567.891"), "EUR") == "EUR 1,234,567.89"


def test_zero_money_is_shown_but_unknown_money_is_blank():
    assert format_money(Decimal("0"), "GBP") == "GBP 0.00"
    assert format_money(None, "USD") == ""

"""Every form of the apps, posted by the Owner with what nobody types: any unicode (control
characters and NUL among it), numbers too big, negative or not numbers at all, dates outside
the calendar, very long text, fields left out, choices that are not offered, several values
for one field, management forms that ask for a million rows.

Each post starts from the form as a person would fill it in (outsourcing.tests.posts) and
spoils a few fields, so most examples get past the easy checks to the rules behind them.
Whatever comes in: no answer is a server error, and an answer that is not the form's success
leaves every table as it was: a refused form saves nothing, not even half of itself.
"""

import datetime
import os
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outsourcing.tests.posts import Posts
from outsourcing.tests.urls_walk import changed_tables, table_fingerprints

pytestmark = pytest.mark.django_db

# In CI each form gets the same 25 examples every run; FUZZ_EXAMPLES=500 hunts with new ones.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 0))

# Every page with a form that writes, by URL name.
FORMS = [
    "projects:create",
    "projects:edit",
    "projects:payment_create",
    "projects:backup_create",
    "projects:status",
    "projects:milestone_status",
    "projects:replace",
    "projects:complete",
    "freelancers:create",
    "freelancers:edit",
    "freelancers:status",
    "freelancers:do_not_hire",
    "freelancers:revoke",
    "freelancers:item_create",
    "freelancers:item_edit",
    "milestones:record",
    "milestones:reminder_preferences",
    "milestones:calendar",
    "milestones:deliverable_send_back",
    "milestones:deliverable_upload",
    "checkin_update",
]

# What a successful post answers: the next page, or for the freelancer (who has no other
# page to go to) the thanks.
SUCCESS_TEMPLATES = {"milestones/checkin_update_thanks.html"}

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)  # surrogates cannot be sent
CONTROL = st.text(st.characters(categories=["Cc"]), min_size=1, max_size=5)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        ["-1", "-0.01", "0", "1e308", "1E-400", "NaN", "Infinity", "9" * 400, "0x1F", "١٢٣", "1,5"]
    ),
)
DATES = st.one_of(
    st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)).map(str),
    st.sampled_from(["0001-01-01", "9999-12-31", "99999-01-01", "2024-02-30", "31/12/2024", "0000-00-00"]),
)
WORDS = st.sampled_from(
    ["", " ", "on", "off", "true", "None", "null", "[]", "{}", "<script>alert(1)</script>", "' OR 1=1 --"]
)
SCALAR = st.one_of(TEXT, CONTROL, NUMBERS, DATES, WORDS, st.just("x" * 100_000))
VALUE = st.one_of(SCALAR, st.lists(SCALAR, max_size=3))  # a list posts the field several times


@st.composite
def spoiled(draw, base):
    """`base` with a few fields left out, replaced by hostile values or posted several times,
    and now and then a field the form does not have (a formset's row count among them)."""
    data = dict(base)
    keys = sorted(base) or ["field"]  # a form of buttons only still takes a field it does not have
    for key in draw(st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=4)):
        if draw(st.booleans()) and draw(st.booleans()):
            data.pop(key, None)
        else:
            data[key] = draw(VALUE)
    if draw(st.integers(0, 4)) == 0:
        extra = draw(
            st.sampled_from(["milestones-TOTAL_FORMS", "milestones-INITIAL_FORMS", "id", "pk", "owner"])
        )
        data[extra] = draw(VALUE)
    return data


@pytest.fixture(scope="module")
def base_posts():
    return {}


def succeeded(response):
    return response.status_code == HTTPStatus.FOUND or (
        response.status_code == HTTPStatus.OK
        and SUCCESS_TEMPLATES & {template.name for template in response.templates}
    )


@pytest.mark.parametrize("name", FORMS)
def test_no_hostile_post_to_a_form_answers_a_server_error_or_saves_half(
    walk_data, base_posts, owner_client, owner, name
):
    if name not in base_posts:
        base_posts[name] = Posts(owner_client, owner)(name)
    posts = base_posts[name]
    # Each example is rolled back, so each starts from the tables as they are now.
    before = table_fingerprints()

    @settings(
        max_examples=EXAMPLES or 25,
        derandomize=not EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.sampled_from(posts).flatmap(lambda post: st.tuples(st.just(post[0]), spoiled(post[1]))))
    def post_hostile(example):
        kwargs, data = example
        cache.clear()  # the freelancer's link counts posts: each example starts afresh
        with transaction.atomic():
            response = owner_client.post(reverse(name, kwargs=kwargs), data)
            changed = changed_tables(before, table_fingerprints())
            transaction.set_rollback(True)
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, data
        if not succeeded(response):
            assert not changed, f"answered {response.status_code} and changed {changed}"

    post_hostile()

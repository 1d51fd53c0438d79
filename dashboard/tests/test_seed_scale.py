"""`seed_scale` fills a database with the shape the page benchmarks measure."""

import pytest
from django.core.management import CommandError, call_command

from freelancers.models import AccessGrant, Freelancer, Reference
from milestones.models import CheckIn, Milestone
from projects.models import Payment, Project


@pytest.mark.django_db
def test_it_seeds_ten_milestones_and_a_hundred_check_ins_per_project():
    call_command("seed_scale", projects=100, big_project_checkins=300, stdout=open("/dev/null", "w"))  # noqa: SIM115

    # 100 projects plus the one with many check-ins.
    assert Project.objects.count() == 101
    assert Milestone.objects.count() == 1010
    assert CheckIn.objects.count() == 100 * 100 + 300
    assert Project.objects.in_progress().count() == 6 + 1
    assert Payment.objects.exists()
    assert Freelancer.objects.count() == 20
    assert Reference.objects.count() == 40
    assert AccessGrant.objects.count() == 20
    assert Project.objects.get(title="Scale project with many check-ins").checkins.count() == 300


@pytest.mark.django_db
def test_it_refuses_to_seed_the_same_database_twice():
    call_command("seed_scale", projects=10, big_project_checkins=10, stdout=open("/dev/null", "w"))  # noqa: SIM115

    with pytest.raises(CommandError, match="scale data already"):
        call_command("seed_scale", projects=10, stdout=open("/dev/null", "w"))  # noqa: SIM115

"""The pages that read projects alone: the list and the reviews owed. The project page,
which shows and saves a project with its milestones, is milestones/project_views.py."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render

from common.lists import COUNT_LIMIT, paginate
from common.policy import can_see_money
from projects import charts
from projects.forms import ProjectFilterForm
from projects.models import Project


@permission_required("projects.view_project", raise_exception=True)
def project_list(request):
    form = ProjectFilterForm(request.GET)
    # The page's ids first, then those rows with their annotations: PostgreSQL would
    # otherwise work out every annotation for every row that matches a health filter.
    # Health is worked out project by project, so a health filter counts only so far:
    # an exact count would work it out for every project ever run.
    ids = form.filter(Project.objects.all()).values_list("pk", flat=True)
    context = {
        "form": form,
        **paginate(request, ids, count_limit=COUNT_LIMIT if form.filters_by_health else None),
    }
    page = context["page"]
    rows = Project.objects.with_health().select_related("freelancer", "owner").in_bulk(list(page))
    page.object_list = [rows[pk] for pk in page.object_list]
    if can_see_money(request.user):
        # Every active project, whatever the filters and the page show.
        context["portfolio"] = charts.portfolio(Project.objects.current().active())
    return render(request, "projects/project_list.html", context)


@permission_required("projects.view_project", raise_exception=True)
def reviews_owed(request):
    projects = Project.objects.reviews_owed().select_related("freelancer").order_by("completed_on")
    return render(request, "projects/reviews_owed.html", {"projects": projects})

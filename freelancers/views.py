from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from common.history import describe_edit, explain, recent_changes
from common.lists import paginate
from common.policy import can_see_access_grants, can_see_money, history_for, withhold_money_fields
from freelancers import services
from freelancers.fields import NAMES_LIMIT, label
from freelancers.forms import (
    AccessGrantForm,
    DoNotHireForm,
    FreelancerFilterForm,
    FreelancerForm,
    InterviewForm,
    ReferenceForm,
    RevocationForm,
    StatusForm,
    TestimonialForm,
    WorkSampleForm,
)
from freelancers.models import AccessGrant, Freelancer, Interview, Reference, Testimonial, WorkSample

# The freelancer's money: shown, sorted by and edited only by whoever may see money.
MONEY_FIELDS = ("hourly_rate",)
MONEY_SORTS = ("rate", "-rate")


@dataclass(frozen=True)
class Section:
    """One kind of record on the profile, added and edited the same way."""

    model: type
    form: type
    noun: str

    def permission(self, action):
        return f"freelancers.{action}_{self.model._meta.model_name}"


SECTIONS = {
    "references": Section(Reference, ReferenceForm, "reference"),
    "testimonials": Section(Testimonial, TestimonialForm, "testimonial"),
    "samples": Section(WorkSample, WorkSampleForm, "work sample"),
    "interviews": Section(Interview, InterviewForm, "interview"),
    "access": Section(AccessGrant, AccessGrantForm, "access grant"),
}


def require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


def get_freelancer(pk):
    """The one lookup for a freelancer page: counts for vetting, skills, 404 if absent."""
    return get_object_or_404(Freelancer.objects.with_vetting().prefetch_related("skills"), pk=pk)


def get_section(name):
    if name not in SECTIONS:
        raise Http404("No such section.")
    return SECTIONS[name]


@permission_required("freelancers.view_freelancer", raise_exception=True)
def freelancer_list(request):
    form = FreelancerFilterForm(request.GET)
    if not can_see_money(request.user):
        # Sorting by rate would tell the rates by their order.
        sort = form.fields["sort"]
        sort.choices = [choice for choice in sort.choices if choice[0] not in MONEY_SORTS]
    freelancers = form.filter(Freelancer.objects.with_vetting().prefetch_related("skills"))
    return render(
        request, "freelancers/freelancer_list.html", {"form": form, **paginate(request, freelancers)}
    )


@permission_required("freelancers.view_freelancer", raise_exception=True)
def freelancer_names(request):
    """Suggestions for a field that chooses a freelancer (freelancers/fields.py): the first
    NAMES_LIMIT whose name or email holds what was typed, as JSON. scope=hireable leaves
    out those marked do-not-hire, as a backup's or an assignment's field does."""
    typed = request.GET.get("q", "").strip()[:100]
    found = (
        Freelancer.objects.hireable()
        if request.GET.get("scope") == "hireable"
        else Freelancer.objects.active()
    )
    if typed:
        found = found.filter(Q(name__icontains=typed) | Q(email__icontains=typed))
    names = [
        label(freelancer) for freelancer in found.order_by("name", "pk").only("name", "email")[:NAMES_LIMIT]
    ]
    return JsonResponse({"results": names})


@permission_required("freelancers.view_freelancer", raise_exception=True)
def freelancer_detail(request, pk):
    return render_profile(request, get_freelancer(pk))


def render_profile(request, freelancer, *, bound=None, revoking=None, status=200):
    """The profile, with one section's form bound to what was typed when it failed."""
    can_see_access = can_see_access_grants(request.user)
    # Each section's form gets its own element ids: several share field names ("notes").
    forms = {name: section.form(auto_id=f"id_{name}_%s") for name, section in SECTIONS.items()}
    forms["status"] = StatusForm(initial={"status": freelancer.status})
    forms["do_not_hire"] = DoNotHireForm()
    forms["revoke"] = RevocationForm()
    if bound:
        forms.update(bound)
    context = {
        "freelancer": freelancer,
        "vetting": freelancer.vetting,
        "references": freelancer.references.all(),
        "testimonials": freelancer.testimonials.all(),
        "samples": freelancer.samples.all(),
        "interviews": freelancer.interviews.all(),
        "grants": freelancer.access_grants.select_related("revoked_by") if can_see_access else None,
        "forms": forms,
        "open_form": next(iter(bound), None) if bound else None,
        "revoking": revoking,
        "history": history_for(request.user, recent_changes(freelancer.history), Freelancer, MONEY_FIELDS),
        "projects": freelancer.projects.order_by("-start_on"),
        "reviews": freelancer.reviews.select_related("project"),
        "review_summary": freelancer.reviews.summary(),
    }
    return render(request, "freelancers/freelancer_detail.html", context, status=status)


def save_freelancer(request, form):
    return services.save_freelancer(
        freelancer=form.save(commit=False),
        skills=form.cleaned_data["skills"],
        new_skill_names=form.cleaned_data["new_skills"],
        by=request.user,
    )


@permission_required("freelancers.add_freelancer", raise_exception=True)
def freelancer_create(request):
    form = FreelancerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        freelancer = save_freelancer(request, form)
        messages.success(request, f"{freelancer.name} was added. Next: check their references.")
        return redirect(freelancer)
    return render(request, "freelancers/freelancer_form.html", {"form": form})


@permission_required("freelancers.change_freelancer", raise_exception=True)
def freelancer_edit(request, pk):
    freelancer = get_freelancer(pk)
    form = FreelancerForm(request.POST or None, instance=freelancer)
    withhold_money_fields(form, MONEY_FIELDS, request.user)
    if request.method == "POST" and form.is_valid():
        explain(form.instance, describe_edit(form))
        save_freelancer(request, form)
        messages.success(request, f"Changes to {freelancer.name} were saved.")
        return redirect(freelancer)
    return render(request, "freelancers/freelancer_form.html", {"form": form, "freelancer": freelancer})


@require_POST
@permission_required("freelancers.change_freelancer", raise_exception=True)
def freelancer_status(request, pk):
    freelancer = get_freelancer(pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.change_status(freelancer=freelancer, status=form.cleaned_data["status"], by=request.user)
        except ValidationError as error:
            form.add_error("status", error.message_dict["status"])
        else:
            messages.success(request, f"{freelancer.name} is now {freelancer.get_status_display().lower()}.")
            return redirect(freelancer)
    return render_profile(request, freelancer, bound={"status": form}, status=400)


@require_POST
@permission_required("freelancers.change_freelancer", raise_exception=True)
def freelancer_do_not_hire(request, pk):
    freelancer = get_freelancer(pk)
    form = DoNotHireForm(request.POST)
    if form.is_valid():
        services.mark_do_not_hire(
            freelancer=freelancer, reason=form.cleaned_data["do_not_hire_reason"], by=request.user
        )
        messages.success(request, f"{freelancer.name} is marked do-not-hire.")
        return redirect(freelancer)
    return render_profile(request, freelancer, bound={"do_not_hire": form}, status=400)


@require_POST
@permission_required("freelancers.delete_freelancer", raise_exception=True)
def freelancer_archive(request, pk):
    freelancer = get_freelancer(pk)
    if request.POST.get("restore"):
        services.restore_freelancer(freelancer=freelancer, by=request.user)
        messages.success(request, f"{freelancer.name} is back in the list.")
    else:
        services.archive_freelancer(freelancer=freelancer, by=request.user)
        messages.success(request, f"{freelancer.name} was archived. Their record and history are kept.")
    return redirect(freelancer)


@permission_required("freelancers.view_freelancer", raise_exception=True)
def item_create(request, pk, section):
    """Add a reference, testimonial, sample, interview or access grant from the profile."""
    section = get_section(section)
    require(request.user, section.permission("add"))
    freelancer = get_freelancer(pk)
    if request.method != "POST":
        return redirect(freelancer)
    name = next(key for key, value in SECTIONS.items() if value is section)
    form = section.form(
        request.POST, request.FILES, instance=section.model(freelancer=freelancer), auto_id=f"id_{name}_%s"
    )
    if form.is_valid():
        form.save()
        messages.success(request, f"The {section.noun} was added.")
        return redirect(freelancer)
    return render_profile(request, freelancer, bound={name: form}, status=400)


@permission_required("freelancers.view_freelancer", raise_exception=True)
def item_edit(request, pk, section, item_pk):
    section = get_section(section)
    require(request.user, section.permission("change"))
    freelancer = get_freelancer(pk)
    item = get_object_or_404(section.model, pk=item_pk, freelancer=freelancer)
    form = section.form(request.POST or None, request.FILES or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"The {section.noun} was saved.")
        return redirect(freelancer)
    return render(
        request,
        "freelancers/item_form.html",
        {"form": form, "freelancer": freelancer, "section": section, "item": item},
    )


@require_POST
@permission_required("freelancers.view_freelancer", raise_exception=True)
def item_delete(request, pk, section, item_pk):
    section = get_section(section)
    if section.model is AccessGrant:
        # The access register is a record of what was given: grants are revoked, not deleted.
        raise PermissionDenied
    require(request.user, section.permission("delete"))
    freelancer = get_freelancer(pk)
    item = get_object_or_404(section.model, pk=item_pk, freelancer=freelancer)
    item.delete()
    messages.success(request, f"The {section.noun} was deleted.")
    return redirect(freelancer)


@require_POST
@permission_required("freelancers.change_accessgrant", raise_exception=True)
def grant_revoke(request, pk, grant_pk):
    freelancer = get_freelancer(pk)
    grant = get_object_or_404(AccessGrant, pk=grant_pk, freelancer=freelancer)
    form = RevocationForm(request.POST)
    if form.is_valid():
        try:
            services.record_revocation(
                grant=grant, revoked_on=form.cleaned_data["revoked_on"], by=request.user
            )
        except ValidationError as error:
            form.add_error("revoked_on", error.message_dict["revoked_on"])
        else:
            messages.success(request, f"Revocation of {grant.system} recorded.")
            return redirect(freelancer)
    return render_profile(request, freelancer, bound={"revoke": form}, revoking=grant.pk, status=400)


@permission_required("freelancers.view_accessgrant", raise_exception=True)
def access_register(request):
    """Every grant still open, overdue first, across all freelancers."""
    grants = AccessGrant.objects.open().select_related("freelancer").order_by("revoke_by", "pk")
    return render(request, "freelancers/access_register.html", {"grants": grants})


@permission_required("freelancers.view_worksample", raise_exception=True)
def sample_file(request, pk):
    """Send an uploaded sample as a download, never shown inline by the browser.

    The file is streamed through this view from whichever storage holds it, never handed out
    as a presigned S3 link: the bucket needs no public endpoint, a link cannot be passed on,
    and the download headers (attachment, type, nosniff) stay ours. Samples are small
    (UPLOAD_MAX_MB), so a web worker is not held long."""
    sample = get_object_or_404(WorkSample.objects.exclude(file=""), pk=pk)
    try:
        handle = sample.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=sample.original_filename or sample.file.name.rsplit("/", 1)[-1],
        content_type=sample.content_type or "application/octet-stream",
    )

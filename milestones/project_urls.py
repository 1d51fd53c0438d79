"""The project pages' addresses (/projects/...), all in the "projects" namespace.

They are wired here, in the higher of the two layers, because the project page and its
forms (milestones/project_views.py) work on a project with its milestones; the list and
the reviews owed read projects alone (projects/views.py).
"""

from django.urls import path

from milestones import project_views
from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", project_views.project_create, name="create"),
    path("reviews-owed/", views.reviews_owed, name="reviews_owed"),
    path("<int:pk>/", project_views.project_detail, name="detail"),
    path("<int:pk>/edit/", project_views.project_edit, name="edit"),
    path("<int:pk>/archive/", project_views.project_archive, name="archive"),
    path("<int:pk>/status/", project_views.project_status, name="status"),
    path("<int:pk>/mute-reminders/", project_views.project_mute_reminders, name="mute_reminders"),
    path("<int:pk>/replace/", project_views.project_replace, name="replace"),
    path("<int:pk>/complete/", project_views.project_complete, name="complete"),
    path("<int:pk>/payments/", project_views.payment_create, name="payment_create"),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/status/",
        project_views.milestone_status,
        name="milestone_status",
    ),
    path("<int:pk>/backups/", project_views.backup_create, name="backup_create"),
    path("<int:pk>/backups/<int:backup_pk>/confirm/", project_views.backup_confirm, name="backup_confirm"),
    path("<int:pk>/backups/<int:backup_pk>/remove/", project_views.backup_remove, name="backup_remove"),
]

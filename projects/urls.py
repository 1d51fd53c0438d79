from django.urls import path

from projects import views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("reviews-owed/", views.reviews_owed, name="reviews_owed"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/archive/", views.project_archive, name="archive"),
    path("<int:pk>/status/", views.project_status, name="status"),
    path("<int:pk>/mute-reminders/", views.project_mute_reminders, name="mute_reminders"),
    path("<int:pk>/replace/", views.project_replace, name="replace"),
    path("<int:pk>/complete/", views.project_complete, name="complete"),
    path("<int:pk>/payments/", views.payment_create, name="payment_create"),
    path("<int:pk>/milestones/<int:milestone_pk>/status/", views.milestone_status, name="milestone_status"),
    path("<int:pk>/backups/", views.backup_create, name="backup_create"),
    path("<int:pk>/backups/<int:backup_pk>/confirm/", views.backup_confirm, name="backup_confirm"),
    path("<int:pk>/backups/<int:backup_pk>/remove/", views.backup_remove, name="backup_remove"),
]

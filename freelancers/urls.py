from django.urls import path

from freelancers import views

app_name = "freelancers"
urlpatterns = [
    path("", views.freelancer_list, name="list"),
    path("new/", views.freelancer_create, name="create"),
    path("access/", views.access_register, name="access"),
    path("names/", views.freelancer_names, name="names"),
    path("samples/<int:pk>/file/", views.sample_file, name="sample_file"),
    path("<int:pk>/", views.freelancer_detail, name="detail"),
    path("<int:pk>/edit/", views.freelancer_edit, name="edit"),
    path("<int:pk>/status/", views.freelancer_status, name="status"),
    path("<int:pk>/do-not-hire/", views.freelancer_do_not_hire, name="do_not_hire"),
    path("<int:pk>/archive/", views.freelancer_archive, name="archive"),
    path("<int:pk>/access/<int:grant_pk>/revoke/", views.grant_revoke, name="revoke"),
    path("<int:pk>/<slug:section>/new/", views.item_create, name="item_create"),
    path("<int:pk>/<slug:section>/<int:item_pk>/edit/", views.item_edit, name="item_edit"),
    path("<int:pk>/<slug:section>/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
]

from django.urls import path

from freelancers import views

app_name = "freelancers"
urlpatterns = [
    path("", views.freelancer_list, name="list"),
]

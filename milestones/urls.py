from django.urls import path

from milestones import views

app_name = "milestones"
urlpatterns = [
    path("", views.checkin_list, name="checkins"),
    path("<int:pk>/record/", views.checkin_record, name="record"),
]

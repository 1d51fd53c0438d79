from django.urls import path

from milestones import views

app_name = "milestones"
urlpatterns = [
    path("", views.checkin_list, name="checkins"),
    path("<int:pk>/record/", views.checkin_record, name="record"),
    path("<int:pk>/read/", views.checkin_mark_read, name="mark_read"),
    path("reminders/preferences/", views.reminder_preferences, name="reminder_preferences"),
    path("reminders/failed/", views.failed_reminders, name="failed_reminders"),
    path("reminders/failed/retry/", views.retry_failed_reminders, name="retry_failed_reminders"),
    path("reminders/<int:pk>/retry/", views.retry_reminder, name="retry_reminder"),
    # Replies by email from another address than the reminder's, held for the owner.
    path("replies/held/", views.held_replies, name="held_replies"),
    path("replies/<int:pk>/approve/", views.approve_reply, name="approve_reply"),
    path("replies/<int:pk>/discard/", views.discard_reply, name="discard_reply"),
]
urlpatterns += [
    path("calendar/", views.calendar_settings, name="calendar"),
    path("<int:pk>/invite.ics", views.checkin_invite, name="invite"),
]
urlpatterns += [
    path("deliverables/<int:pk>/download/", views.deliverable_download, name="deliverable_download"),
    path("deliverables/<int:pk>/accept/", views.deliverable_accept, name="deliverable_accept"),
    path("deliverables/<int:pk>/send-back/", views.deliverable_send_back, name="deliverable_send_back"),
    path("deliverables/project/<int:project_pk>/", views.deliverable_list, name="deliverable_list"),
    path(
        "deliverables/project/<int:project_pk>/upload/", views.deliverable_upload, name="deliverable_upload"
    ),
]

from django.shortcuts import render


def checkin_list(request):
    return render(request, "milestones/checkin_list.html")

from django.shortcuts import render


def freelancer_list(request):
    return render(request, "freelancers/freelancer_list.html")

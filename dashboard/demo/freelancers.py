"""Demo freelancers across the whole pipeline, for trying the app out.

Everything is written out here, nothing is random, and rows are matched on
natural keys (email, the freelancer plus a name or title), so seeding twice
leaves exactly the rows the first run made. Dates are relative to today.
Freelancers are saved and flagged do-not-hire through the services, their
statuses set through services.change_status once the vetting exists; the
vetting records are validated like a form would.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from freelancers import services
from freelancers.models import AccessGrant, Freelancer, Interview, Reference, Skill, Testimonial, WorkSample
from projects.models import Project, Review

PROSPECT, VETTING, TRIAL, APPROVED = Freelancer.Status

# name, email, time zone, location, skills, hourly rate, currency, where found, status
FREELANCERS = [
    ("Ana Souza", "ana.souza@example.com", "America/Sao_Paulo", "São Paulo, Brazil",
     ("Copywriting", "SEO"), "28.00", "USD", "Upwork", APPROVED),
    ("Kwame Mensah", "kwame.mensah@example.com", "Africa/Accra", "Accra, Ghana",
     ("WordPress", "Shopify"), "35.00", "USD", "Referral from a client", APPROVED),
    ("Priya Raman", "priya.raman@example.org", "Asia/Kolkata", "Chennai, India",
     ("Bookkeeping", "Data entry"), "22.00", "USD", "Bookkeepers' forum", APPROVED),
    ("Sofia Marchetti", "sofia.marchetti@example.it", "Europe/Rome", "Bologna, Italy",
     ("Graphic design", "Social media"), "40.00", "EUR", "Dribbble", APPROVED),
    ("Liam O'Connor", "liam.oconnor@example.ie", "Europe/Dublin", "Cork, Ireland",
     ("Video editing",), "45.00", "EUR", "Referral from a friend", APPROVED),
    ("Mei Chen", "mei.chen@example.com", "Asia/Taipei", "Taipei, Taiwan",
     ("Customer support", "Data entry"), "18.00", "USD", "OnlineJobs job post", APPROVED),
    ("Oluwaseun Adeyemi", "seun.adeyemi@example.com", "Africa/Lagos", "Lagos, Nigeria",
     ("SEO", "WordPress"), "30.00", "USD", "Upwork", APPROVED),
    ("Hannah Schmidt", "hannah.schmidt@example.de", "Europe/Berlin", "Leipzig, Germany",
     ("Bookkeeping",), "55.00", "EUR", "Referral from our accountant", APPROVED),
    ("Mateo García", "mateo.garcia@example.es", "Europe/Madrid", "Valencia, Spain",
     ("Shopify", "WordPress"), "38.00", "EUR", "Shopify Experts directory", TRIAL),
    ("Aisha Rahman", "aisha.rahman@example.com", "Asia/Dhaka", "Dhaka, Bangladesh",
     ("Data entry", "Customer support"), "12.00", "USD", "Upwork", TRIAL),
    ("Tomáš Novák", "tomas.novak@example.cz", "Europe/Prague", "Brno, Czechia",
     ("Video editing", "Graphic design"), "32.00", "EUR", "Behance", TRIAL),
    ("Grace Wanjiru", "grace.wanjiru@example.com", "Africa/Nairobi", "Nairobi, Kenya",
     ("Social media", "Copywriting"), "20.00", "USD", "LinkedIn", TRIAL),
    ("James Whitfield", "james.whitfield@example.co.uk", "Europe/London", "Leeds, United Kingdom",
     ("Copywriting", "SEO"), "50.00", "GBP", "Referral from a client", TRIAL),
    ("Yuki Tanaka", "yuki.tanaka@example.jp", "Asia/Tokyo", "Osaka, Japan",
     ("Graphic design",), "48.00", "USD", "Dribbble", TRIAL),
    ("Jonas Berg", "jonas.berg@example.se", "Europe/Stockholm", "Gothenburg, Sweden",
     ("Video editing",), "60.00", "EUR", "Fiverr", TRIAL),
    ("Lucas Dubois", "lucas.dubois@example.fr", "Europe/Paris", "Lyon, France",
     ("WordPress",), "42.00", "EUR", "Malt", VETTING),
    ("Fatima Zahra El Idrissi", "fatima.elidrissi@example.ma", "Africa/Casablanca", "Rabat, Morocco",
     ("Customer support", "Social media"), "15.00", "USD", "LinkedIn", VETTING),
    ("Nguyen Thi Lan", "lan.nguyen@example.vn", "Asia/Ho_Chi_Minh", "Hanoi, Vietnam",
     ("Data entry", "Bookkeeping"), "14.00", "USD", "Upwork", VETTING),
    ("Carlos Mendoza", "carlos.mendoza@example.mx", "America/Mexico_City", "Guadalajara, Mexico",
     ("Shopify", "SEO"), "30.00", "USD", "Shopify Experts directory", VETTING),
    ("Emily Carter", "emily.carter@example.co.uk", "Europe/London", "Bristol, United Kingdom",
     ("Bookkeeping",), "45.00", "GBP", "Referral from our accountant", VETTING),
    ("Rafael Costa", "rafael.costa@example.pt", "Europe/Lisbon", "Porto, Portugal",
     ("Video editing",), "35.00", "EUR", "Fiverr", VETTING),
    ("Ioana Popescu", "ioana.popescu@example.ro", "Europe/Bucharest", "Cluj-Napoca, Romania",
     ("Copywriting", "Social media"), "25.00", "EUR", "Malt", VETTING),
    ("Daniel Kim", "daniel.kim@example.kr", "Asia/Seoul", "Seoul, South Korea",
     ("Video editing", "Graphic design"), "40.00", "USD", "Behance", PROSPECT),
    ("Chloe Martin", "chloe.martin@example.com.au", "Australia/Sydney", "Sydney, Australia",
     ("Social media", "Copywriting"), "55.00", "USD", "Instagram", PROSPECT),
    ("Ahmed Hassan", "ahmed.hassan@example.eg", "Africa/Cairo", "Alexandria, Egypt",
     ("WordPress", "Customer support"), "16.00", "USD", "Upwork", PROSPECT),
    ("Olga Kowalska", "olga.kowalska@example.pl", "Europe/Warsaw", "Kraków, Poland",
     ("Bookkeeping", "Data entry"), "28.00", "EUR", "Referral from a friend", PROSPECT),
    ("Santiago Rojas", "santiago.rojas@example.co", "America/Bogota", "Medellín, Colombia",
     ("Shopify", "Customer support"), "24.00", "USD", "Workana", PROSPECT),
    ("Isabella Rossi", "isabella.rossi@example.it", "Europe/Rome", "Turin, Italy",
     ("SEO", "Copywriting"), "33.00", "EUR", "LinkedIn", PROSPECT),
    ("Arjun Mehta", "arjun.mehta@example.in", "Asia/Kolkata", "Pune, India",
     ("WordPress", "SEO"), "20.00", "USD", "Fiverr", PROSPECT),
    ("Charlotte Evans", "charlotte.evans@example.co.uk", "Europe/London", "Manchester, United Kingdom",
     ("Customer support",), "30.00", "GBP", "Indeed job post", PROSPECT),
]  # fmt: skip

DO_NOT_HIRE = {
    "jonas.berg@example.se": "Trial job delivered ten days late with placeholder text still in the video.",
    "rafael.costa@example.pt": "Posted a client's unreleased footage on his public portfolio without asking.",
    "arjun.mehta@example.in": "Missed the interview twice without a word, then asked to be paid upfront.",
}

# Who vouches for them: name, relationship, contact (cycled through, so always the same).
REFEREES = [
    ("Laura Jensen", "Former client, online shop owner", "laura@jensen-ceramics.example"),
    ("Martin Okoro", "Agency project manager", "+234 803 555 0142"),
    ("Sunita Desai", "Former employer", "sunita.desai@example.net"),
    ("Pierre Lambert", "Former client, law firm", "p.lambert@example.fr"),
    ("Helen Brooks", "Fellow freelancer", "helen.brooks@example.co.uk"),
    ("Diego Alvarez", "Former client, café chain", "+34 611 555 019"),
    ("Keiko Mori", "Agency art director", "keiko.mori@example.jp"),
]

# What a freelancer with a given first skill would be given access to.
SYSTEMS = {
    "Copywriting": ("Editor account on the blog", "Draft and publish the spring product posts."),
    "WordPress": ("WordPress admin of shop.example.com", "Update the theme and the checkout plugins."),
    "Bookkeeping": ("Xero, adviser role", "Reconcile the last quarter and prepare the VAT return."),
    "Graphic design": ("Shared Google Drive folder “Brand assets”", "Deliver the new packaging artwork."),
    "Video editing": ("Dropbox folder “Raw footage”", "Cut the product launch video."),
    "Customer support": ("Help desk agent seat", "Answer the order enquiries during the sale."),
    "Shopify": ("Shopify staff account", "Set up the new collection pages."),
    "SEO": ("Google Search Console, restricted user", "Audit the product pages' search performance."),
    "Social media": ("Meta Business Suite, content role", "Schedule the month's posts."),
    "Data entry": ("Inventory spreadsheet, edit access", "Enter the new supplier price list."),
}

# Emails of those whose access should have been taken back already.
OVERDUE_ACCESS = {"kwame.mensah@example.com": 3, "mei.chen@example.com": 12, "mateo.garcia@example.es": 21}

TESTIMONIALS = {
    "ana.souza@example.com": ("Rita Albuquerque", True, "Called Rita, who runs the bakery's web shop."),
    "sofia.marchetti@example.it": ("Marco Bellini", False, ""),
    "hannah.schmidt@example.de": ("Jörg Weber", True, "Saw the engagement letter and spoke to Jörg."),
    "james.whitfield@example.co.uk": ("Sarah Lloyd", False, ""),
    "grace.wanjiru@example.com": ("Amani Otieno", True, "Amani confirmed it on a video call."),
}


def seed_freelancers(*, owner):
    """Create or update the demo freelancers and their records; returns how many freelancers were new.

    `owner` is the user whose finished trial projects vouch for the approved freelancers.
    """
    today = timezone.localdate()
    created = 0
    for number, row in enumerate(FREELANCERS):
        name, email, tz, location, skill_names, rate, currency, source, status = row
        freelancer, was_created = _seed_freelancer(
            email,
            {
                "name": name,
                "timezone": tz,
                "location": location,
                "hourly_rate": Decimal(rate),
                "currency": currency,
                "source": source,
                "video_handle": email.split("@")[0],
            },
            skill_names,
            owner,
        )
        created += was_created
        _seed_vetting(freelancer, number, status, skill_names[0], today)
        if status == APPROVED:
            _seed_passed_trial(freelancer, number, skill_names[0], owner, today)
        if freelancer.status != status:
            # Through the service, after the vetting, so approval meets the same rule as in the app.
            services.change_status(freelancer=freelancer, status=status, by=owner)
    return created


def _seed_freelancer(email, values, skill_names, owner):
    """The freelancer with this email (in any case), created or brought up to date through the
    services, and flagged do-not-hire with the reason above; returns (freelancer, created)."""
    freelancer = Freelancer.objects.filter(email__iexact=email).first()
    created = freelancer is None
    freelancer = freelancer or Freelancer(email=email)
    skills = [
        Skill.objects.get_or_create(name__iexact=name, defaults={"name": name})[0] for name in skill_names
    ]
    changed = {name: value for name, value in values.items() if getattr(freelancer, name) != value}
    if created or changed or set(skills) != set(freelancer.skills.all()):
        for name, value in changed.items():
            setattr(freelancer, name, value)
        services.save_freelancer(freelancer=freelancer, skills=skills, by=owner)
    reason = DO_NOT_HIRE.get(email, "")
    if reason and (not freelancer.do_not_hire or freelancer.do_not_hire_reason != reason):
        services.mark_do_not_hire(freelancer=freelancer, reason=reason, by=owner)
    return freelancer, created


def _seed_vetting(freelancer, number, status, main_skill, today):
    first_name = freelancer.name.split()[0]
    referee = REFEREES[number % len(REFEREES)]
    second_referee = REFEREES[(number + 3) % len(REFEREES)]
    outcome = Reference.Outcome
    if status in (APPROVED, TRIAL):
        second_outcome = outcome.MIXED if number % 3 == 0 else outcome.POSITIVE
        references = [
            (referee, outcome.POSITIVE, "Would hire again; quick to flag problems early."),
            (second_referee, second_outcome, "Good work, sometimes slow to reply."),
        ]
    elif status == VETTING:
        first_outcome, first_notes = [
            (outcome.UNREACHABLE, "No answer to two emails and a call."),
            (outcome.NEGATIVE, "Says deadlines slipped again and again."),
            (outcome.MIXED, "Good work, but needed a lot of chasing."),
        ][number % 3]
        references = [
            (referee, first_outcome, first_notes),
            (second_referee, outcome.NOT_CONTACTED, ""),
        ]
    else:
        references = [(referee, outcome.NOT_CONTACTED, "")]
    for person, result, notes in references:
        _upsert(
            Reference,
            {"freelancer": freelancer, "name": person[0]},
            {
                "relationship": person[1],
                "contact": person[2],
                "outcome": result,
                "contacted_on": None if result == outcome.NOT_CONTACTED else today - _days(40 - number),
                "notes": notes,
            },
        )

    if status != PROSPECT or number % 2 == 0:
        _upsert(
            WorkSample,
            {"freelancer": freelancer, "title": f"{main_skill} portfolio piece"},
            {
                "url": f"https://portfolio.example.com/{freelancer.email.split('@')[0]}/{number}",
                # Vetting is where samples wait for a review; later stages have them rated.
                "rating": None if status in (PROSPECT, VETTING) else 3 + number % 3,
                "notes": "" if status in (PROSPECT, VETTING) else "Clean, on brief.",
            },
        )

    if status in (APPROVED, TRIAL) or (status == VETTING and number % 2 == 1):
        _upsert(
            Interview,
            {"freelancer": freelancer, "channel": Interview.Channel.VIDEO},
            {
                "held_on": today - _days(35 - number),
                "questions_asked": "How do you handle a brief that changes mid-way? What tools do you use?",
                "notes": f"{first_name} asked about our brand guide and deadlines before quoting.",
                "red_flags": "Vague about availability in December." if number % 4 == 0 else "",
                "recommendation": Interview.Recommendation.PROCEED
                if status in (APPROVED, TRIAL)
                else Interview.Recommendation.UNSURE,
            },
        )

    if freelancer.email in TESTIMONIALS:
        author, verified, how = TESTIMONIALS[freelancer.email]
        _upsert(
            Testimonial,
            {"freelancer": freelancer, "author": author},
            {
                "source_url": f"https://www.linkedin.example.com/in/{author.split()[0].lower()}",
                "text": f"{first_name} understood what we needed after one call and delivered ahead of time.",
                "verified": verified,
                "verified_how": how,
            },
        )

    if status in (APPROVED, TRIAL) and not freelancer.do_not_hire:
        system, why = SYSTEMS[main_skill]
        overdue_by = OVERDUE_ACCESS.get(freelancer.email)
        _upsert(
            AccessGrant,
            {"freelancer": freelancer, "system": system},
            {
                "access_level": AccessGrant.Level.EDIT,
                "why_needed": why,
                "granted_on": today - _days(45),
                "revoke_by": today - _days(overdue_by) if overdue_by else today + _days(14 + number),
            },
        )


def _seed_passed_trial(freelancer, number, main_skill, owner, today):
    """A small finished trial project, reviewed well: what approval and trust count as a passed trial."""
    finished_on = today - _days(30 + number)
    project, _ = _upsert(
        Project,
        {"freelancer": freelancer, "is_trial": True, "title": f"Trial: {main_skill.lower()} task"},
        {
            "owner": owner,
            "brief": f"A small first job to see how {freelancer.name.split()[0]} works with us.",
            "status": Project.Status.COMPLETED,
            "start_on": finished_on - _days(10),
            "due_on": finished_on,
            "completed_on": finished_on,
            "schedule_buffer_days": 2,
            "budget": Decimal("300.00"),
            "currency": freelancer.currency,
            "budget_buffer_percent": Decimal("10"),
            "checkin_every_days": 3,
        },
    )
    _upsert(
        Review,
        {"project": project, "freelancer": freelancer},
        {
            "quality": 5,
            "communication": 4 + number % 2,
            "timeliness": 4,
            "budget": 5,
            "went_well": "Asked good questions up front and delivered a day early.",
            "do_differently": "Agree on the check-in times in the first call.",
            "debriefed_on": finished_on + _days(2),
            "would_rehire": Review.Rehire.YES,
        },
    )


def _days(n):
    return datetime.timedelta(days=n)


def _upsert(model, lookup, values):
    """Find the row by `lookup`; create it, or save it only when something differs.

    A re-run therefore writes nothing, not even history. Rows are validated like
    a form would, so a typo in the data above fails loudly instead of seeding nonsense.
    """
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
        instance.full_clean()
        instance.save()
        return instance, True
    changed = {name: value for name, value in values.items() if getattr(instance, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
    return instance, False

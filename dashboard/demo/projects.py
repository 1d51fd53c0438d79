"""Demo projects in every state and every health colour, for trying the app out.

Everything is written out here, nothing is random, and dates are relative to
today, so the same projects are late, on time, over or under budget whenever
the demo is loaded. A project that exists already (matched by title) is left
alone with everything under it, so seeding twice leaves exactly the rows of the
first run. Projects, their milestones, payments and backups are written by the
services, which check them as they check any edit; check-ins are planned by
planning.plan_checkins and recorded by milestones.services.record_checkin. What
only the past could have written (an earlier freelancer's assignment, a review
written on a completed project) is validated like a form would and saved as such.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dashboard.demo.freelancers import seed_freelancers
from freelancers.models import Freelancer, Skill
from milestones import planning, project_services
from milestones import services as checkin_services
from milestones.models import CheckIn, Milestone
from projects import services
from projects.health import GREEN, RED
from projects.models import Assignment, Project, Review

DEMO_OWNER = "maria.lopez"

DRAFT, ACTIVE, ON_HOLD, COMPLETED, CANCELLED = Project.Status
PLANNED, IN_PROGRESS, SUBMITTED, APPROVED, DROPPED = Milestone.Status
YES, MAYBE, NO = Review.Rehire

# The freelancers of dashboard.demo.freelancers that these projects use, found by email; any
# missing (the projects seeded on their own) are created with these few details.
FREELANCERS = {
    "ana": ("Ana Souza", "ana.souza@example.com", "USD"),
    "kwame": ("Kwame Mensah", "kwame.mensah@example.com", "USD"),
    "priya": ("Priya Raman", "priya.raman@example.org", "USD"),
    "sofia": ("Sofia Marchetti", "sofia.marchetti@example.it", "EUR"),
    "liam": ("Liam O'Connor", "liam.oconnor@example.ie", "EUR"),
    "mei": ("Mei Chen", "mei.chen@example.com", "USD"),
    "seun": ("Oluwaseun Adeyemi", "seun.adeyemi@example.com", "USD"),
    "hannah": ("Hannah Schmidt", "hannah.schmidt@example.de", "EUR"),
    "mateo": ("Mateo García", "mateo.garcia@example.es", "EUR"),
    "aisha": ("Aisha Rahman", "aisha.rahman@example.com", "USD"),
    "tomas": ("Tomáš Novák", "tomas.novak@example.cz", "EUR"),
    "grace": ("Grace Wanjiru", "grace.wanjiru@example.com", "USD"),
    "james": ("James Whitfield", "james.whitfield@example.co.uk", "GBP"),
    "yuki": ("Yuki Tanaka", "yuki.tanaka@example.jp", "USD"),
    "jonas": ("Jonas Berg", "jonas.berg@example.se", "EUR"),
    "rafael": ("Rafael Costa", "rafael.costa@example.pt", "EUR"),
    "lucas": ("Lucas Dubois", "lucas.dubois@example.fr", "EUR"),
    "carlos": ("Carlos Mendoza", "carlos.mendoza@example.mx", "USD"),
    "emily": ("Emily Carter", "emily.carter@example.co.uk", "GBP"),
    "ioana": ("Ioana Popescu", "ioana.popescu@example.ro", "EUR"),
}


@dataclass(frozen=True)
class Plan:
    """One demo project. Every date is a number of days from today (negative: in the past)."""

    title: str
    freelancer: str | None
    status: str
    start: int
    due: int
    budget: str
    brief: str
    currency: str = "USD"
    leeway: int = 3
    contingency: str = "10"
    every: int = 7
    trial: bool = False
    skills: tuple = ()
    milestones: tuple = ()  # (title, due, amount, status)
    payments: tuple = ()  # (amount, paid, index of the milestone or None, note)
    backups: tuple = ()  # (freelancer, days since they last confirmed or None)
    # The share of the current milestone done, as the freelancer said in their latest update.
    declared: int | None = None
    replaced: tuple = ()  # (earlier freelancer, days after the start they left, why)
    override: str = ""  # why an untested freelancer has a budget above the trial limit
    completed: int | None = None
    # (quality, communication, timeliness, budget, would rehire, went well, do differently)
    review: tuple = ()


PLANS = [
    # Active ------------------------------------------------------------------
    Plan(
        "Shopify store migration", "kwame", ACTIVE, -40, 25, "3200.00", leeway=5, skills=("Shopify",),
        brief="Move the shop from WooCommerce to Shopify: products, customers, order history and redirects. "
        "Done when the old addresses redirect and the first real order goes through.",
        milestones=(
            ("Product and customer import", -20, "900.00", APPROVED),
            ("Theme setup and checkout testing", 5, "1100.00", IN_PROGRESS),
            ("Go-live and redirects", 22, "1200.00", PLANNED),
        ),
        payments=(("900.00", -18, 0, "Import approved"),),
        backups=(("mateo", 5), ("carlos", 60)),
        declared=70,
    ),
    Plan(
        "Quarterly bookkeeping catch-up", "priya", ACTIVE, -25, 10, "1200.00", skills=("Bookkeeping",),
        brief="Reconcile the three quarters we fell behind on and file the VAT return.",
        milestones=(
            ("January to March reconciled", -12, "400.00", APPROVED),
            ("April to June reconciled", -2, "400.00", IN_PROGRESS),
            ("July to September reconciled, VAT return filed", 9, "400.00", PLANNED),
        ),
        payments=(("400.00", -11, 0, ""),),
        backups=(("hannah", 12),),
    ),
    Plan(
        "Spring newsletter series", "ana", ACTIVE, -20, 15, "800.00", skills=("Copywriting",),
        brief="Four newsletters for the spring collection, written and scheduled in the mailing tool.",
        milestones=(
            ("Outline and subject lines", -12, "200.00", APPROVED),
            ("Four newsletter drafts", 3, "400.00", IN_PROGRESS),
            ("Final edits and scheduling", 14, "200.00", PLANNED),
        ),
        payments=(("200.00", -10, 0, ""), ("250.00", -3, 1, "Half of the drafts, paid in advance")),
        declared=85,
    ),
    Plan(
        "Product photo retouching", "sofia", ACTIVE, -30, 6, "1000.00", currency="EUR",
        skills=("Graphic design",),
        brief="Retouch 100 product photos on a white background, web and print sizes.",
        milestones=(
            ("First 40 photos", -20, "600.00", APPROVED),
            ("Remaining 60 photos", 5, "500.00", SUBMITTED),
        ),
        payments=(("600.00", -19, 0, ""), ("480.00", -4, 1, "Extra round of edits on the jewellery shots")),
    ),
    Plan(
        "Help desk cover for the summer sale", "mei", ACTIVE, -15, 20, "1500.00",
        skills=("Customer support",),
        brief="Answer order enquiries in the help desk during the sale and until the end of the month.",
        milestones=(
            ("Sale weekend cover", -8, "900.00", APPROVED),
            ("Weekday cover until the end of the month", 19, "600.00", IN_PROGRESS),
        ),
        payments=(("900.00", -7, 0, ""), ("800.00", -1, None, "Overtime: the sale ran two days longer")),
        backups=(("aisha", 8),),
    ),
    Plan(
        "SEO audit of the product pages", "seun", ACTIVE, -35, -4, "700.00", leeway=7, skills=("SEO",),
        brief="Find out why the product pages lost traffic and what to fix first.",
        milestones=(
            ("Crawl and keyword report", -20, "300.00", APPROVED),
            ("Recommendations document", -4, "400.00", IN_PROGRESS),
        ),
        payments=(("300.00", -19, 0, ""),),
    ),
    Plan(
        "WordPress plugin updates and security hardening", "lucas", ACTIVE, -30, -12, "450.00",
        currency="EUR", skills=("WordPress",),
        brief="Update the plugins on staging, then live; two-factor login and backups for the admin.",
        milestones=(
            ("Staging site updated", -20, "150.00", APPROVED),
            ("Live site updated and hardened", -12, "300.00", IN_PROGRESS),
        ),
        payments=(("150.00", -19, 0, ""),),
        backups=(("kwame", 10),),
    ),
    Plan(
        "Launch video for the new candle range", "liam", ACTIVE, -25, 15, "2000.00", currency="EUR",
        leeway=4, contingency="15", skills=("Video editing",),
        brief="A 60-second launch video and three 15-second cut-downs for social media.",
        milestones=(
            ("Storyboard and shot list", -15, "400.00", APPROVED),
            ("First cut", 2, "800.00", IN_PROGRESS),
            ("Final cut and captions", 14, "800.00", PLANNED),
        ),
        payments=(
            ("400.00", -14, 0, ""),
            ("1000.00", -5, 1, "Advance on the first cut"),
            ("750.00", -1, None, "Music licence Liam bought for us"),
        ),
    ),
    Plan(
        "Trial: supplier price list entry", "aisha", ACTIVE, -6, 4, "250.00", leeway=2, trial=True,
        every=3, skills=("Data entry",),
        brief="Enter the new supplier price list into the inventory spreadsheet and spot-check it.",
        milestones=(
            ("First 200 rows entered", -1, "100.00", APPROVED),
            ("Remaining rows and spot check", 4, "150.00", IN_PROGRESS),
        ),
        payments=(("100.00", -1, 0, ""),),
        declared=60,
    ),
    Plan(
        "Instagram content calendar", "grace", ACTIVE, -20, -9, "480.00", skills=("Social media",),
        brief="Plan, write and schedule two months of Instagram posts.",
        milestones=(
            ("October posts", -12, "240.00", APPROVED),
            ("November posts", -9, "240.00", IN_PROGRESS),
        ),
        payments=(("240.00", -11, 0, ""), ("300.00", -2, 1, "Paid for November before the posts were in")),
    ),
    Plan(
        "Bookkeeping move to Xero", "hannah", ACTIVE, -45, 30, "4000.00", currency="EUR", leeway=5,
        every=14, skills=("Bookkeeping",),
        brief="Move two years of books to Xero, connect the bank feeds and show us how to use it.",
        milestones=(
            ("Chart of accounts mapped", -33, "800.00", APPROVED),
            ("Two years of history imported", -8, "1600.00", APPROVED),
            ("Bank feeds and a training call", 28, "1600.00", IN_PROGRESS),
        ),
        payments=(("800.00", -32, 0, ""), ("1600.00", -7, 1, "")),
        replaced=("emily", 10, "Took a full-time job and could not continue; handed over her notes."),
        declared=40,
    ),
    Plan(
        "Brand story video", "tomas", ACTIVE, -40, 10, "1800.00", currency="EUR",
        skills=("Video editing",),
        brief="A three-minute film about how the candles are made, from the workshop footage.",
        milestones=(
            ("Rough cut", -28, "600.00", APPROVED),
            ("Re-edit with the new footage", -2, "600.00", APPROVED),
            ("Colour grade and sound mix", 9, "600.00", IN_PROGRESS),
        ),
        payments=(("600.00", -27, 0, "Paid to Rafael Costa for the rough cut"), ("600.00", -1, 1, "")),
        declared=75,
        backups=(("liam", 3),),
        replaced=("rafael", 12, "Posted our unreleased footage on his public portfolio without asking."),
        override="Liam vouched for Tomáš, and the footage could not wait for a trial job.",
    ),
    Plan(
        "Trial: wholesale landing page copy", "james", ACTIVE, -10, 5, "400.00", currency="GBP",
        trial=True, every=3, skills=("Copywriting",),
        brief="Copy for the wholesale landing page: headline, three benefits, the sign-up form.",
        milestones=(
            ("Draft copy", 2, "250.00", IN_PROGRESS),
            ("Revisions", 5, "150.00", PLANNED),
        ),
    ),
    Plan(
        "Customer FAQ rewrite", "ana", ACTIVE, -10, 20, "600.00", skills=("Copywriting",),
        brief="Rewrite the FAQ so the ten most common help desk questions answer themselves.",
        milestones=(
            ("New FAQ structure", -2, "150.00", SUBMITTED),
            ("All answers rewritten", 18, "450.00", PLANNED),
        ),
    ),
    Plan(
        "Gift box packaging artwork", "yuki", ACTIVE, -14, 21, "1400.00", skills=("Graphic design",),
        brief="Artwork for the three gift box sizes, print-ready for the packaging supplier.",
        milestones=(
            ("Three concepts", -4, "300.00", APPROVED),
            ("Final artwork and print files", 18, "1100.00", IN_PROGRESS),
        ),
        payments=(("300.00", -3, 0, ""),),
        backups=(("sofia", 6),),
        declared=50,
    ),
    Plan(
        "Abandoned-cart email flow", "mateo", ACTIVE, -18, -1, "900.00", currency="EUR",
        skills=("Shopify",),
        brief="Three reminder emails for abandoned carts, set up and tested in Shopify.",
        milestones=(
            ("Flow and timing agreed", -10, "300.00", APPROVED),
            ("Email templates live in Shopify", -1, "600.00", SUBMITTED),
        ),
        payments=(("300.00", -9, 0, ""), ("700.00", -2, 1, "Paid in full before testing, too early")),
    ),
    # Green today, forecast red: the warning comes while there is still time to act.
    Plan(
        "Spring catalogue photography", "sofia", ACTIVE, -30, 30, "3000.00", leeway=5,
        skills=("Graphic design",),
        brief="Photograph the 60 new products for the spring catalogue and the shop, retouched. "
        "The studio was paid upfront: at this month's pace the money runs out before the work does.",
        milestones=(
            ("Shot list and test shots", -20, "600.00", APPROVED),
            ("Studio days: 60 products", 10, "1400.00", IN_PROGRESS),
            ("Retouching and delivery", 28, "1000.00", PLANNED),
        ),
        payments=(("600.00", -19, 0, ""), ("1500.00", -6, None, "Studio hire and props, paid upfront")),
        declared=60,
    ),
    Plan(
        "Website speed overhaul", "kwame", ACTIVE, -24, 20, "2400.00", skills=("WordPress",),
        brief="Get the shop's pages to load in under two seconds on a phone: images, scripts, caching. "
        "The fixes go slower than planned: at this pace the work ends weeks after the due date.",
        milestones=(
            ("Speed audit", -14, "400.00", APPROVED),
            ("Image and script fixes", 2, "1000.00", IN_PROGRESS),
            ("Caching and CDN setup", 18, "1000.00", PLANNED),
        ),
        payments=(("400.00", -13, 0, ""),),
        declared=20,
    ),
    # On hold -----------------------------------------------------------------
    Plan(
        "Warehouse label redesign", "sofia", ON_HOLD, -60, -20, "700.00", currency="EUR", leeway=5,
        skills=("Graphic design",),
        brief="New shipping and shelf labels. On hold until the new supplier confirms the label sizes.",
        milestones=(
            ("Label concepts", -40, "300.00", APPROVED),
            ("Print-ready files", -20, "400.00", PLANNED),
        ),
        payments=(("300.00", -39, 0, ""),),
    ),
    Plan(
        "Podcast editing, season 2", "liam", ON_HOLD, -50, 40, "2400.00", currency="EUR", every=14,
        skills=("Video editing",),
        brief="Edit twelve episodes. On hold while the guests are rescheduled.",
        milestones=(
            ("Episodes 1 to 4", -20, "800.00", APPROVED),
            ("Episodes 5 to 8", 10, "800.00", PLANNED),
            ("Episodes 9 to 12", 38, "800.00", PLANNED),
        ),
        payments=(("800.00", -19, 0, ""),),
    ),
    Plan(
        "Google Ads account review", "seun", ON_HOLD, -30, 10, "500.00", skills=("SEO",),
        brief="Audit the ads account and propose a simpler campaign structure. Paused during the sale.",
        milestones=(
            ("Account audit", -10, "250.00", IN_PROGRESS),
            ("Campaign restructure plan", 8, "250.00", PLANNED),
        ),
        payments=(("250.00", -28, None, "Half upfront"),),
    ),
    Plan(
        "Customer database deduplication", "mei", ON_HOLD, -20, 15, "600.00", skills=("Data entry",),
        brief="Merge duplicate customers in the CRM. Paused until the CRM contract is renewed.",
        milestones=(
            ("Duplicate report", -5, "200.00", APPROVED),
            ("Merge and clean-up", 14, "400.00", PLANNED),
        ),
        payments=(
            ("300.00", -12, None, "Advance"),
            ("200.00", -4, 0, ""),
            ("200.00", -3, None, "Extra export work"),
        ),
    ),
    Plan(
        "Blog migration to the new domain", "lucas", ON_HOLD, -10, 20, "480.00", currency="EUR",
        skills=("WordPress",),
        brief="Move the blog to the shop's domain, keeping its search rankings. Waiting for the DNS change.",
        milestones=(
            ("Content export and redirect map", 5, "200.00", PLANNED),
            ("Migration and checks", 18, "280.00", PLANNED),
        ),
        backups=(("seun", 45),),
    ),
    # Drafts ------------------------------------------------------------------
    Plan(
        "Holiday gift guide copy", None, DRAFT, 10, 40, "700.00", skills=("Copywriting",),
        brief="A gift guide in three price bands for the website and the December newsletter.",
        milestones=(("Gift guide outline", 20, "200.00", PLANNED), ("Final copy", 38, "500.00", PLANNED)),
        backups=(("ana", 2), ("james", None)),
    ),
    Plan(
        "Trade show booth graphics", None, DRAFT, 20, 50, "1500.00", currency="EUR",
        skills=("Graphic design",),
        brief="Back wall, counter front and two roll-up banners for the spring trade show.",
        backups=(("sofia", 20), ("yuki", 40)),
    ),
    Plan(
        "Year-end stock count support", "aisha", DRAFT, 30, 35, "300.00", skills=("Data entry",),
        brief="Enter the count sheets on the day after the count and flag differences over 5%.",
        milestones=(("Count sheets entered", 35, "300.00", PLANNED),),
    ),
    Plan(
        "Wholesale catalogue layout", "yuki", DRAFT, 5, 30, "900.00", skills=("Graphic design",),
        brief="Lay out the 40-page wholesale catalogue from the product sheet.",
        milestones=(
            ("Layout of the first 20 pages", 15, "400.00", PLANNED),
            ("Full catalogue, print-ready", 29, "500.00", PLANNED),
        ),
    ),
    Plan(
        "Review request email sequence", "ioana", DRAFT, 3, 25, "450.00", currency="EUR",
        skills=("Copywriting",),
        brief="Two emails asking customers for a review a week after delivery.",
    ),
    # Completed: trial jobs ---------------------------------------------------
    Plan(
        "Trial: Shopify collection pages", "mateo", COMPLETED, -70, -60, "300.00", currency="EUR",
        trial=True, skills=("Shopify",), completed=-61,
        brief="Set up two collection pages with filters, as a first job.",
        milestones=(("Two collection pages", -61, "300.00", APPROVED),),
        payments=(("300.00", -59, 0, ""),),
        review=(5, 4, 5, 5, YES, "Asked for the brand guide before starting; ready a day early.",
                "Agree up front who writes the product copy."),
    ),
    Plan(
        "Trial: gift box concept sketches", "yuki", COMPLETED, -50, -42, "250.00", trial=True,
        skills=("Graphic design",), completed=-42,
        brief="Three hand-drawn concepts for the gift box, as a first job.",
        milestones=(("Three sketches", -42, "250.00", APPROVED),),
        payments=(("250.00", -40, 0, ""),),
        review=(5, 4, 4, 5, YES, "Concepts were on brand and clearly explained.",
                "Share the print supplier's specifications from the start."),
    ),
    Plan(
        "Trial: a week of Instagram posts", "grace", COMPLETED, -45, -38, "200.00", trial=True,
        skills=("Social media",), completed=-38,
        brief="Write and schedule seven posts, as a first job.",
        milestones=(("Seven posts scheduled", -38, "200.00", APPROVED),),
        payments=(("200.00", -37, 0, ""),),
        review=(4, 5, 4, 4, YES, "Quick replies and good captions.", "Send the photo list earlier."),
    ),
    Plan(
        "Trial: press release for the new store", "james", COMPLETED, -40, -30, "350.00", currency="GBP",
        trial=True, skills=("Copywriting",), completed=-31,
        brief="A one-page press release for the store opening, as a first job.",
        milestones=(("Press release, final", -31, "350.00", APPROVED),),
        payments=(("350.00", -30, 0, ""),),
        review=(4, 4, 5, 5, YES, "Clear, punchy, and picked up by the local paper.",
                "Give him the quotes from the team earlier."),
    ),
    Plan(
        "Trial: product teaser cut", "jonas", COMPLETED, -90, -80, "300.00", currency="EUR", trial=True,
        skills=("Video editing",), completed=-70,
        brief="Cut a 30-second teaser from the launch footage, as a first job.",
        milestones=(("30-second teaser", -80, "300.00", APPROVED),),
        payments=(("300.00", -69, 0, ""),),
        review=(2, 2, 1, 3, NO, "The music choice was good.",
                "Delivered ten days late with placeholder text still in the video; silent for a week."),
    ),
    # Completed and reviewed --------------------------------------------------
    Plan(
        "Website accessibility fixes", "kwame", COMPLETED, -80, -40, "1500.00", skills=("WordPress",),
        completed=-42,
        brief="Fix what the accessibility audit found: contrast, labels, keyboard navigation.",
        milestones=(
            ("Audit and list of fixes", -65, "500.00", APPROVED),
            ("Fixes on the live site", -42, "1000.00", APPROVED),
        ),
        payments=(("500.00", -64, 0, ""), ("1000.00", -41, 1, "")),
        review=(5, 5, 5, 4, YES, "Explained every fix in plain words.", "Nothing; book him again."),
    ),
    Plan(
        "Annual accounts preparation", "hannah", COMPLETED, -120, -60, "2200.00", currency="EUR",
        leeway=5, every=14, skills=("Bookkeeping",), completed=-58,
        brief="Year-end reconciliation and the draft accounts our accountant needs.",
        milestones=(
            ("Year-end reconciliation", -90, "1000.00", APPROVED),
            ("Draft accounts for the accountant", -60, "1200.00", APPROVED),
        ),
        payments=(
            ("1000.00", -89, 0, ""),
            ("1200.00", -57, 1, ""),
            ("180.00", -55, None, "Extra hours for the late bank statements"),
        ),
        review=(4, 4, 3, 3, MAYBE, "Thorough, and caught two supplier double-charges.",
                "Send the bank statements on time, and ask her for a fixed quote."),
    ),
    Plan(
        "Explainer video for the subscription box", "liam", COMPLETED, -100, -50, "2500.00", currency="EUR",
        leeway=7, every=14, skills=("Video editing",), completed=-45,
        brief="A 90-second animated explainer for the subscription box landing page.",
        milestones=(
            ("Script and storyboard", -85, "500.00", APPROVED),
            ("Animation", -60, "1500.00", APPROVED),
            ("Voice-over and final cut", -50, "500.00", APPROVED),
        ),
        payments=(
            ("500.00", -84, 0, ""),
            ("1500.00", -59, 1, ""),
            ("500.00", -44, 2, ""),
            ("500.00", -44, None, "Two extra revision rounds"),
        ),
        review=(5, 3, 3, 2, MAYBE, "Beautiful animation.",
                "Agree on the number of revision rounds before starting."),
    ),
    # Completed, review still owed --------------------------------------------
    Plan(
        "Q4 sales tax filing", "priya", COMPLETED, -30, -10, "450.00", skills=("Bookkeeping",),
        completed=-9,
        brief="Prepare and file the fourth-quarter sales tax return.",
        milestones=(("Sales tax return filed", -10, "450.00", APPROVED),),
        payments=(("450.00", -8, 0, ""),),
    ),
    Plan(
        "Product description rewrite (120 products)", "ana", COMPLETED, -40, -5, "1200.00",
        skills=("Copywriting", "SEO"), completed=-3,
        brief="Rewrite the 120 product descriptions in our voice, with the search keywords.",
        milestones=(
            ("First 60 descriptions", -20, "600.00", APPROVED),
            ("Last 60 descriptions", -5, "600.00", APPROVED),
        ),
        payments=(("600.00", -19, 0, ""), ("600.00", -2, 1, "")),
    ),
    Plan(
        "Checkout bug fixes", "kwame", COMPLETED, -20, -6, "600.00", skills=("Shopify",), completed=-6,
        brief="Fix the discount code and shipping rate bugs in the checkout.",
        milestones=(("Bugs fixed and tested", -6, "600.00", APPROVED),),
        payments=(("600.00", -5, 0, ""),),
    ),
    # Cancelled ---------------------------------------------------------------
    Plan(
        "Loyalty app prototype", "carlos", CANCELLED, -60, -20, "400.00", skills=("Shopify",),
        brief="Clickable prototype of a loyalty app. Cancelled: we chose an off-the-shelf app instead.",
        milestones=(("Clickable wireframes", -30, "400.00", DROPPED),),
        payments=(("100.00", -35, None, "Kill fee agreed when we stopped the project"),),
    ),
    Plan(
        "Trade fair video coverage", "liam", CANCELLED, -15, 5, "900.00", currency="EUR",
        skills=("Video editing",),
        brief="Film our stand at the trade fair. Cancelled: the fair was postponed to next year.",
        milestones=(
            ("Filming on the fair's two days", 3, "600.00", DROPPED),
            ("Highlights edit", 5, "300.00", DROPPED),
        ),
    ),
    Plan(
        "Chatbot setup for the help desk", None, CANCELLED, -30, 30, "1000.00",
        skills=("Customer support",),
        brief="A chatbot answering order-status questions. Cancelled: the help desk tool added one.",
    ),
]  # fmt: skip

# What came of the check-ins, cycled through: progress, questions raised, next steps.
CHECKIN_NOTES = [
    ("Work started as planned; the access we gave works.", "", "First draft by the next check-in."),
    ("First part delivered and gone through together.", "Which of the two layouts do we keep?", "Layout B."),
    ("A slower week: waiting on our product data.", "Can we have the missing photos?", "Sent on Monday."),
    ("Most of the milestone is done.", "Is the old mailing list still in use?", "We reply by Thursday."),
]
# Only the latest few past check-ins are kept, as if the demo business started using the app recently.
PAST_CHECKINS_KEPT = 4


def seed_projects(*, owner=None):
    """Create the demo projects that do not exist yet; returns how many were created.

    `owner` defaults to the demo owner (maria.lopez), else the first superuser.
    """
    owner = owner or demo_owner()
    # The freelancers with their vetting and trial jobs: the trial rule asks for those.
    seed_freelancers(owner=owner)
    freelancers = demo_freelancers()
    today = timezone.localdate()
    created = 0
    # The past first, as it happened: a trial finished before the bigger work that it allowed.
    in_order = sorted(enumerate(PLANS), key=lambda numbered: numbered[1].status != COMPLETED)
    for number, plan in in_order:
        if Project.objects.filter(title=plan.title).exists():
            continue
        with transaction.atomic():
            project = _seed_project(plan, owner, freelancers, today)
            _seed_checkins(project, plan, number, owner, today)
        created += 1
    return created


def demo_owner():
    User = get_user_model()
    owner = (
        User.objects.filter(username=DEMO_OWNER).first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )
    if owner is None:
        # Seeded on their own, before the team: the account cannot log in until given a password.
        owner = User.objects.create_user(
            username=DEMO_OWNER, first_name="Maria", last_name="Lopez", email=f"{DEMO_OWNER}@example.com"
        )
    return owner


def demo_freelancers():
    found = {}
    for key, (name, email, currency) in FREELANCERS.items():
        freelancer = Freelancer.objects.filter(email__iexact=email).first()
        if freelancer is None:
            freelancer = _save(Freelancer(name=name, email=email, currency=currency))
        found[key] = freelancer
    return found


def _seed_project(plan, owner, freelancers, today):
    def day(offset):
        return today + datetime.timedelta(days=offset)

    freelancer = freelancers[plan.freelancer] if plan.freelancer else None
    project = Project(
        title=plan.title,
        brief=plan.brief,
        owner=owner,
        freelancer=freelancer,
        is_trial=plan.trial,
        status=plan.status,
        start_on=day(plan.start),
        due_on=day(plan.due),
        schedule_buffer_days=plan.leeway,
        budget=Decimal(plan.budget),
        currency=plan.currency,
        budget_buffer_percent=Decimal(plan.contingency),
        checkin_every_days=plan.every,
        completed_on=day(plan.completed) if plan.completed is not None else None,
    )
    milestones = [
        Milestone(title=title, due_on=day(due), amount=Decimal(amount), status=status, order=n)
        for n, (title, due, amount, status) in enumerate(plan.milestones, start=1)
    ]
    skills = [
        Skill.objects.get_or_create(name__iexact=name, defaults={"name": name})[0] for name in plan.skills
    ]
    # Through the services, so the demo keeps the rules the app keeps: the trial rule (with
    # the plan's override), the leeway, the budget, payments above zero, one backup each.
    if plan.status == COMPLETED:
        # A finished project is the past: its freelancer was hired under the rules of the
        # day (some flagged do-not-hire since), so the project itself is kept as history.
        project.trust_override_reason = plan.override
        project.trust_override_by = owner if plan.override else None
        _save(project, owner)
        project.skills.set(skills)
        project_services.save_milestones(project=project, milestones=milestones, by=owner)
        if freelancer is not None:
            _save(Assignment(project=project, freelancer=freelancer, started_on=day(plan.start)), owner)
    else:
        project_services.create_project(
            project=project, milestones=milestones, skills=skills, by=owner, override_reason=plan.override
        )
    for amount, paid, milestone, note in plan.payments:
        services.record_payment(
            project=project,
            amount=Decimal(amount),
            paid_on=day(paid),
            milestone=milestones[milestone] if milestone is not None else None,
            note=note,
            by=owner,
        )
    for rank, (key, confirmed) in enumerate(plan.backups, start=1):
        services.add_backup(
            project=project,
            freelancer=freelancers[key],
            rank=rank,
            last_confirmed_on=day(-confirmed) if confirmed is not None else None,
            by=owner,
        )

    if freelancer is not None:
        # The demo's work began before today: the earlier freelancer it replaced, and the
        # start of the current assignment (begun today by create_project), are its history.
        started = min(day(plan.start), today)
        if plan.replaced:
            earlier, left_after, why = plan.replaced
            left = day(plan.start + left_after)
            _save(
                Assignment(
                    project=project,
                    freelancer=freelancers[earlier],
                    started_on=started,
                    ended_on=left,
                    end_reason=why,
                ),
                owner,
            )
            started = left
        current = Assignment.objects.get(project=project, ended_on__isnull=True)
        current.started_on = started
        _save(current, owner)

    if plan.review:
        quality, communication, timeliness, budget, rehire, went_well, do_differently = plan.review
        _save(
            Review(
                project=project,
                freelancer=freelancer,
                quality=quality,
                communication=communication,
                timeliness=timeliness,
                budget=budget,
                went_well=went_well,
                do_differently=do_differently,
                debriefed_on=min(project.completed_on + datetime.timedelta(days=2), today),
                would_rehire=rehire,
            ),
            owner,
        )
    return project


def _seed_checkins(project, plan, number, owner, today):
    """Past check-ins, held with notes (an active project in trouble missed its latest), then the plan."""
    if project.status in (DRAFT, CANCELLED):
        return
    project = Project.objects.with_details().get(pk=project.pk)
    end = min(project.completed_on or today, today)
    every = datetime.timedelta(days=project.checkin_every_days)
    days = []
    day = project.start_on + every
    while day < end:
        days.append(day)
        day += every
    days = days[-PAST_CHECKINS_KEPT:]
    level = project.health.level
    missed_latest = project.status == ACTIVE and level == RED
    for n, day in enumerate(days):
        checkin = _save(CheckIn(project=project, scheduled_for=planning.checkin_time(day)), owner)
        latest = n == len(days) - 1
        if latest and missed_latest:
            continue
        progress, questions, next_steps = CHECKIN_NOTES[(number + n) % len(CHECKIN_NOTES)]
        checkin_services.record_checkin(
            checkin=checkin,
            held_on=day,
            progress_note=progress,
            on_track=level if n >= len(days) - 2 else GREEN,
            questions=questions,
            next_steps=next_steps,
            by=owner,
        )
    if project.status == ACTIVE:
        planning.plan_checkins(project=project)
        if plan.declared is not None:
            _declare_share(project, plan.declared)


def _declare_share(project, percent):
    """The freelancer's latest update through their link, saying how much of the current
    milestone is done: on the first check-in not yet held."""
    checkin = project.checkins.planned().select_related("milestone").order_by("scheduled_for", "pk").first()
    milestone = checkin_services.milestone_to_declare(checkin)
    checkin_services.post_freelancer_update(
        checkin=checkin,
        freelancer=project.freelancer,
        progress=f"About {percent}% of “{milestone.title}” is done.",
        on_track=GREEN,
        percent_done=percent,
    )


def _save(instance, by=None):
    """Validate like a form would, so a typo in the plans above fails loudly; record who."""
    instance.full_clean()
    instance._history_user = by
    instance.save()
    return instance

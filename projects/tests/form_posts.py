"""Post a page's form as a browser would: every field with the value the page shows,
changed only where a test types something."""

from html.parser import HTMLParser
from http import HTTPStatus

from django.urls import reverse
from django.utils.datastructures import MultiValueDict

NOT_SENT = {"submit", "button", "image", "reset", "file"}


class FormFields(HTMLParser):
    """The (name, value) pairs each form of a page sends when submitted untouched."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.select = None  # [name, multiple, options, selected]
        self.textarea = None  # [name, text]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append([])
        name = attrs.get("name")
        if not self.forms or "disabled" in attrs:
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.forms[-1].append((name, attrs.get("value", "on")))
            elif kind not in NOT_SENT:
                self.forms[-1].append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select = [name, "multiple" in attrs, [], []]
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            self.select[2].append(value)
            if "selected" in attrs:
                self.select[3].append(value)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select:
            name, multiple, options, selected = self.select
            if not selected and not multiple and options:
                selected = options[:1]
            self.forms[-1].extend((name, value) for value in selected)
            self.select = None
        elif tag == "textarea" and self.textarea:
            # A browser drops the one newline that may follow <textarea>.
            name, text = self.textarea
            self.forms[-1].append((name, text.removeprefix("\n")))
            self.textarea = None


def form_on(page, having):
    """What the page's form with a field named `having` sends, as a MultiValueDict to edit."""
    parser = FormFields()
    parser.feed(page)
    for fields in parser.forms:
        if any(name == having for name, _ in fields):
            data = MultiValueDict()
            for name, value in fields:
                data.appendlist(name, value)
            return data
    raise AssertionError(f"No form on the page has a field named {having!r}")


def row_of(data, prefix, title):
    """The form prefix ("milestones-0") of the formset row showing `title`."""
    for name, value in data.items():
        if name.startswith(f"{prefix}-") and name.endswith("-title") and value == title:
            return name.removesuffix("-title")
    raise AssertionError(f"No {prefix} row is titled {title!r}")


def fill_new_row(data, prefix, **values):
    """Type `values` into the first empty row of the formset, adding one as the page's
    "add" button does when there is none left."""
    total, initial = int(data[f"{prefix}-TOTAL_FORMS"]), int(data[f"{prefix}-INITIAL_FORMS"])
    empty = [i for i in range(initial, total) if not data.get(f"{prefix}-{i}-title")]
    index = empty[0] if empty else total
    data[f"{prefix}-TOTAL_FORMS"] = str(max(total, index + 1))
    for field, value in values.items():
        data[f"{prefix}-{index}-{field}"] = value
    return f"{prefix}-{index}"


def save_edit_page(client, project, change):
    """Open the project's edit page, let `change` type into its form (a MultiValueDict), save."""
    url = reverse("projects:edit", args=[project.pk])
    data = form_on(client.get(url).text, having="milestones-TOTAL_FORMS")
    change(data)
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context and [
        response.context["form"].errors,
        response.context["formset"].errors,
    ]
    return response

"""What a person wrote in a reply by email: the text above the quoted part, and the fields of
a check-in it names ("Questions: ...").

Quoted history and signatures are found by mail-parser-reply, which knows the quote headers
of Gmail ("On ... wrote:"), Outlook ("From: ... Sent: ...") and Apple Mail. A message with an
HTML body only is turned into plain text first, its <blockquote>s (where every one of those
clients puts the message replied to) left out.
"""

import re
from html.parser import HTMLParser

from mailparser_reply import EmailMessage

# Tags after which the text goes on on a new line.
BLOCK_TAGS = {
    "address",
    "blockquote",
    "br",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "p",
    "pre",
    "tr",
}
# Tags whose content is not text a person reads.
HIDDEN_TAGS = {"head", "script", "style", "template", "title"}
QUOTED_LINE = re.compile(r"^\s*>")


class _HtmlText(HTMLParser):
    """The text of an HTML body, one line per block, without the quoted message."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.hidden = 0
        self.quoted = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_TAGS:
            self.hidden += 1
        if tag == "blockquote":
            self.quoted += 1
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        if tag == "blockquote":
            self.quoted = max(0, self.quoted - 1)
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not (self.hidden or self.quoted):
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self):
        lines = (line.strip() for line in "".join(self.parts).splitlines())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html):
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


def body_text(message):
    """The message's plain-text body, or its HTML body as text when it has no plain one."""
    text = message.text
    if (text is None or not text.strip()) and message.html:
        return html_to_text(message.html)
    return text or ""


def latest_reply(text):
    """The text above the quoted message, without the signature; "" when nothing was written."""
    # Hyphen lists ("- sent the draft") are what people write in updates, not signatures.
    replies = EmailMessage(text=text, languages=["en"], keep_hyphen_lists=True).read().replies
    if not replies or replies[0].headers:  # the message starts with the quote: nothing above it
        return ""
    lines = [line for line in replies[0].body.splitlines() if not QUOTED_LINE.match(line)]
    return "\n".join(lines).strip()


def reply_text(message):
    # A NUL cannot be stored (PostgreSQL text) and no person types one.
    return latest_reply(body_text(message).replace("\x00", ""))


# "Label: text" at the start of a line starts that field; the lines after it belong to it
# until the next label. Everything before the first label is the progress.
LABELS = {
    "progress": "progress",
    "notes": "progress",
    "on track": "on_track",
    "question": "questions",
    "questions": "questions",
    "blocker": "blockers",
    "blockers": "blockers",
    "blocked by": "blockers",
    "blocking me": "blockers",
    "next steps": "next_steps",
}
LABEL_LINE = re.compile(
    r"^\s*(" + "|".join(sorted(LABELS, key=len, reverse=True)) + r")\s*:\s*(.*)$", re.IGNORECASE
)
ON_TRACK_WORDS = {
    "green": "green",
    "on track": "green",
    "amber": "amber",
    "some concerns": "amber",
    "red": "red",
    "off track": "red",
}


def read_fields(text):
    """The check-in fields a reply names: progress, on_track, questions, blockers and next_steps.

    on_track is green, amber or red when the reply says so on an "On track:" line, else "".
    When nothing came before the first label, the progress is the whole reply."""
    fields = {"progress": [], "on_track": [], "questions": [], "blockers": [], "next_steps": []}
    current = "progress"
    for line in text.splitlines():
        match = LABEL_LINE.match(line)
        if match:
            current = LABELS[match.group(1).lower()]
            line = match.group(2)
        fields[current].append(line)
    read = {name: "\n".join(lines).strip() for name, lines in fields.items()}
    said = read["on_track"]
    read["on_track"] = next(
        (value for words, value in ON_TRACK_WORDS.items() if said.lower().startswith(words)), ""
    )
    if said and not read["on_track"]:  # words the colours do not cover are kept with the progress
        read["progress"] = f"{read['progress']}\n\nOn track: {said}".strip()
    if not read["progress"]:
        read["progress"] = text.strip()
    return read

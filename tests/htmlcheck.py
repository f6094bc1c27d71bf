"""Checks on an HTML report, shared by the report and command-line tests.

The standard library's :class:`html.parser.HTMLParser` is lenient, so
:class:`ReportParser` adds the checks it skips: every opened element is
closed in order, and every resource the page would load (``src``, ``href``,
CSS ``url(...)``) is inline or a same-page anchor.
"""

import re
from html.parser import HTMLParser

# elements that have no end tag in HTML
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "col", "wbr"}


class ReportParser(HTMLParser):
    """Parse a page, collecting its text and what is wrong with it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []
        self.text = []
        self.images = []
        self.ids = set()
        self.headings = []
        self._in = None
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None and not (
                value.startswith("data:") or value.startswith("#")
            ):
                self.problems.append(f"<{tag} {name}={value[:60]!r}> loads a resource")
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in {"h1", "h2", "h3"}:
            self._in = [tag, ""]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1:]}>")
            return
        self.stack.pop()
        if self._in is not None and self._in[0] == tag:
            self.headings.append(self._in[1].strip())
            self._in = None

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            if re.search(r"url\(|@import", data):
                self.problems.append("style sheet loads a resource")
            return
        self.text.append(data)
        if self._in is not None:
            self._in[1] += data


def parse_report(page: str) -> ReportParser:
    """Parse ``page``; the caller checks ``parser.problems`` is empty."""
    parser = ReportParser()
    parser.feed(page)
    parser.close()
    if parser.stack:
        parser.problems.append(f"unclosed elements: {parser.stack}")
    if not parser.doctype:
        parser.problems.append("no <!DOCTYPE html>")
    return parser


def assert_self_contained_report(page: str, segment_names) -> ReportParser:
    """A well-formed page, loading nothing, that names every segment."""
    parser = parse_report(page)
    assert parser.problems == []
    assert not re.search(r"https?://", page), "the page mentions a web address"
    assert parser.images, "the page has no figure"
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    text = " ".join(parser.text)
    for name in segment_names:
        assert name in text, f"segment name {name!r} is not in the page"
    return parser

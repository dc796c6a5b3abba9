"""A tiny HTML tree for assertions (stdlib only): find elements by tag and attributes."""
from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag=None, **attrs):
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and all(c.attrs.get(k.rstrip("_")) == v for k, v in attrs.items()):
                    yield c
                yield from c.iter(tag, **attrs)

    def find(self, tag=None, **attrs):
        return next(self.iter(tag, **attrs), None)

    def findall(self, tag=None, **attrs):
        return list(self.iter(tag, **attrs))


class _Builder(HTMLParser):
    def __init__(self):
        # convert_charrefs=False: this Python's parser would otherwise read "&lt;script&gt;" in a
        # <title> as a start tag; references are decoded one by one below instead
        super().__init__(convert_charrefs=False)
        self.root = Node("#document", {})
        self.cur = self.root
        self.errors = []

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        node = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is None or node.parent is None:
            self.errors.append(f"stray </{tag}>")
            return
        if node is not self.cur:
            self.errors.append(f"</{tag}> closes unclosed <{self.cur.tag}>")
        self.cur = node.parent

    def handle_data(self, data):
        self.cur.children.append(data)

    def handle_entityref(self, name):
        self.cur.children.append(unescape(f"&{name};"))

    def handle_charref(self, name):
        self.cur.children.append(unescape(f"&#{name};"))


def parse_html(text: str) -> Node:
    b = _Builder()
    b.feed(text)
    b.close()
    if b.errors:
        raise AssertionError("malformed HTML: " + "; ".join(b.errors[:5]))
    if b.cur is not b.root:
        raise AssertionError(f"unclosed <{b.cur.tag}>")
    return b.root

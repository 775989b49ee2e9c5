"""Sphinx extension: the book's corrections to the HTML that Sphinx, the theme and MyST-NB write.

Each correction answers a check of the browser test (``tests/browser/test_book_html.py``):

- **Each inline script once.** Sphinx 7.4 keeps an inline script that an extension adds after
  the builder started under two names (``None``, then ``''``), so the page carries it twice.
  sphinx-thebe's ``const THEBE_JS_URL = ...`` declared twice throws "Identifier 'THEBE_JS_URL'
  has already been declared" on every page.
- **Toggles named by their visible text.** MyST-NB labels the ``<summary>`` of a hidden cell
  input or output "Toggle hidden content" while it shows "Show code cell output"; a screen
  reader user who hears one and a speech-input user who says the other miss each other (axe
  rule ``label-content-name-mismatch``). Without the label the summary's visible text names it.
- **Bibliography entries as list items.** docutils marks each entry of a citation list with the
  deprecated DPUB role ``doc-biblioentry`` inside a ``role="list"``, a list without list items
  to assistive technology (axe rule ``aria-required-children``, critical).

The theme's header buttons are corrected by the templates in ``_ext/templates`` (``_config.yml``
puts that folder first on ``templates_path``).
"""

from __future__ import annotations

HTML_CORRECTIONS = (
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
    ('role="doc-biblioentry"', 'role="listitem"'),
)


def _script_key(script) -> tuple:
    attributes = tuple(sorted(script.attributes.items()))
    return (script.filename or "", script.priority, attributes)


def _once_each(scripts: list) -> list:
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    return unique


def correct_page(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        # The builder restores its list before the next page; edit this page's copy in place.
        scripts[:] = _once_each(scripts)
    body = context.get("body")
    if body:
        for written, corrected in HTML_CORRECTIONS:
            body = body.replace(written, corrected)
        context["body"] = body


def setup(app):
    # After the other handlers of the event, which may still add scripts to the page.
    app.connect("html-page-context", correct_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

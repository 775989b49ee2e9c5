"""What an explorer shows, read back from its output widget, for the explorers' tests."""

import base64
import html
import re


def shown_png(explorer) -> bytes:
    """The PNG the explorer's output widget holds (in its ``<img>``)."""
    (output,) = explorer._out.outputs
    src = re.search(r'src="data:image/png;base64,([^"]+)"', output["data"]["text/html"])
    return base64.b64decode(src.group(1))


def shown_alt(explorer) -> str:
    """The alternative text of the published ``<img>``."""
    (output,) = explorer._out.outputs
    return html.unescape(re.search(r'alt="([^"]*)"', output["data"]["text/html"]).group(1))

"""Label templates -> ZPL bytes for the printer and a PNG preview, from one layout."""

from station.labels.layout import LabelDataError
from station.labels.render import RenderedLabel, render_label, render_preview
from station.labels.templates import TEMPLATES, get_template

__all__ = ["TEMPLATES", "LabelDataError", "RenderedLabel", "get_template", "render_label", "render_preview"]

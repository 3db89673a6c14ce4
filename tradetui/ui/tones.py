"""What the UI's colours mean, taken from the theme.

Nothing in ``ui/`` names a colour: text is coloured by meaning (a gain, a loss, a warning, a
refusal, the muted parts of a line), and each meaning is one of the theme's variables
(``$text-success``, ``$text-error``, ``$text-warning``, ``$text-accent``, ``$text-muted`` …), so a
theme file in ``themes/`` restyles every screen.

Two ways in, after how a widget draws:

- text shown as Textual content (a label, a status line, a preview) is styled with the variables
  directly (:func:`refused`, :data:`GAIN` …), resolved by Textual each time it is drawn;
- a widget that draws Rich renderables (tables, the timeline, the status bar, the chart's title)
  declares the ``tone--*`` component classes (:data:`TONE_CLASSES`, styled once in ``app.tcss``)
  and reads their Rich styles through :class:`Tones` when it draws. What such a widget drew
  before a theme change is drawn again with the new styles (:func:`on_theme_change`).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style
from textual.content import Content
from textual.widget import Widget

GAIN = "$text-success"
LOSS = "$text-error"
WARNING = "$text-warning"
ACCENT = "$text-accent"
MUTED = "$text-muted"

TONE_NAMES = ("gain", "loss", "warning", "accent", "muted", "alarm")
"""``alarm`` is the loudest: bold text on the error colour (a LIVE badge, a critical event)."""
TONE_CLASSES = {f"tone--{name}" for name in TONE_NAMES}
"""Component classes of the tones; a widget that draws Rich text declares them (subclasses inherit
them; Textual's ``COMPONENT_CLASSES`` is a class-level set, so declare a copy or a union)."""


class Tones:
    """The Rich styles of the theme's tones as ``widget`` sees them (its ``tone--*`` component
    classes); outside a running app (a widget drawn on its own) every tone is plain."""

    __slots__ = ("_widget",)

    def __init__(self, widget: Widget) -> None:
        self._widget = widget

    def __call__(self, name: str) -> Style:
        # a tone with its own background (alarm) is read whole: Textual works out its text colour
        # ("auto") against that background only there; the others are a colour over the widget's
        try:
            return self._widget.get_component_rich_style(f"tone--{name}", partial=name != "alarm")
        except KeyError:  # not styled yet (not mounted, or drawn on its own): plain, never a failure
            return Style.null()

    @property
    def gain(self) -> Style:
        return self("gain")

    @property
    def loss(self) -> Style:
        return self("loss")

    @property
    def warning(self) -> Style:
        return self("warning")

    @property
    def accent(self) -> Style:
        return self("accent")

    @property
    def muted(self) -> Style:
        return self("muted")

    @property
    def alarm(self) -> Style:
        return self("alarm")

    def signed(self, value: float) -> Style:
        """Gain above zero, loss below, plain at zero."""
        return self.gain if value > 0 else self.loss if value < 0 else Style.null()

    def side(self, side: str) -> Style:
        """An order side: bid (buying) in the gain tone, ask (selling) in the loss tone."""
        return self.gain if side == "bid" else self.loss


def on_theme_change(widget: Widget, redraw: Callable[[], None]) -> None:
    """Call ``redraw`` whenever the app's theme changes (for what ``widget`` wrote with the old
    theme's styles: table cells, log lines). Subscribe from ``on_mount``."""
    widget.app.theme_changed_signal.subscribe(widget, lambda _theme: redraw())


def refused(text: str) -> Content:
    """One line saying what cannot be done ("✗ no candles in the chosen period")."""
    return Content.styled(f"✗ {text}", f"bold {LOSS}")

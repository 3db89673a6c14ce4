"""What the UI's colours mean, taken from the theme.

Nothing in ``ui/`` names a colour: text is coloured by meaning (a gain, a loss, a warning, a
refusal, the muted parts of a line), and each meaning is one of the theme's variables
(``$text-success``, ``$text-error``, ``$text-warning``, ``$text-accent``, ``$text-muted`` …), so a
theme file in ``themes/`` restyles every screen.

Two ways in, after how a widget draws:

- text shown as Textual content (a label, a status line) is styled with the variables directly
  (:func:`refused`, :data:`GAIN` …), resolved by Textual when it is drawn;
- a widget that draws Rich renderables (tables, the timeline, the status bar) declares the
  ``tone--*`` component classes (:data:`TONE_CLASSES`, styled in ``app.tcss``) and reads their
  Rich styles through :class:`Tones` when it draws.
"""

from __future__ import annotations

from textual.content import Content

GAIN = "$text-success"
LOSS = "$text-error"
WARNING = "$text-warning"
ACCENT = "$text-accent"
MUTED = "$text-muted"


def refused(text: str) -> Content:
    """One line saying what cannot be done ("✗ no candles in the chosen period")."""
    return Content.styled(f"✗ {text}", f"bold {LOSS}")

"""Settings: edit risk limits and strategy parameters with validation, preview the change,
apply it to the running engine and record it in config_history. The risk fields are checked by
the handle (as a config file's ``[risk]`` section), the parameters by the strategy registry."""

from __future__ import annotations

import json
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from tradetui.engine.handle import EngineControl, RiskChange
from tradetui.strategies import registry
from tradetui.ui.refusal import refusals
from tradetui.ui.tones import GAIN, LOSS, refused
from tradetui.ui.widgets.footer import KeysFooter

RESTART_FIELDS = {"timeframe"}
"""Parameters a running engine cannot change (its candles are built for them)."""


def parse_value(text: str, current: Any) -> Any:
    """Field text back to a value of the current value's kind ("" → None)."""
    raw = text.strip()
    if raw == "" or raw.lower() == "none":
        return None
    if isinstance(current, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(current, str):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


class SettingsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="settings.back"),
        Binding("ctrl+s", "apply", "Apply", id="settings.apply"),
    ]

    def __init__(self, handle: EngineControl) -> None:
        super().__init__()
        self.handle = handle
        self.risk_now = handle.risk_fields()
        snap = handle.snapshot(max_events=0)
        self.strategy = snap.strategies[0].name if snap.strategies else None
        self.params_now: dict[str, Any] = dict(snap.strategies[0].params) if snap.strategies else {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="settings-columns"):
            with VerticalScroll(id="settings-risk"):
                yield Static("Risk", classes="pane-title")
                for key, value in self.risk_now.items():
                    with Horizontal(classes="field"):
                        yield Label(key, classes="field-label")
                        yield Input("" if value is None else str(value), id=f"risk-{key}", compact=True)
            with VerticalScroll(id="settings-strategy"):
                if self.strategy:
                    yield Static(f"Strategy {self.strategy}", classes="pane-title")
                    for key, value in self.params_now.items():
                        with Horizontal(classes="field"):
                            yield Label(key + (" (restart)" if key in RESTART_FIELDS else ""), classes="field-label")
                            yield Input(
                                "" if value is None else str(value),
                                id=f"param-{key}",
                                disabled=key in RESTART_FIELDS,
                                compact=True,
                            )
                with Horizontal(id="settings-buttons"):
                    yield Button("Preview", id="preview", compact=True)
                    yield Button("Apply [ctrl+s]", id="apply", variant="primary", compact=True)
                yield Static(id="preview-box")
        yield KeysFooter()

    def _edits(self) -> tuple[dict[str, Any], dict[str, Any]]:
        risk = {k: parse_value(self.query_one(f"#risk-{k}", Input).value, v) for k, v in self.risk_now.items()}
        params = {k: parse_value(self.query_one(f"#param-{k}", Input).value, v) for k, v in self.params_now.items()}
        return risk, params

    def _changes(self) -> list[tuple[str, Any, Any]]:
        risk, params = self._edits()
        changes = [(f"risk.{k}", self.risk_now[k], v) for k, v in risk.items() if v != self.risk_now[k]]
        changes += [
            (f"{self.strategy}.{k}", self.params_now[k], v) for k, v in params.items() if v != self.params_now[k]
        ]
        return changes

    def _validate(self) -> tuple[RiskChange | None, dict[str, Any], str]:
        risk, params = self._edits()
        try:
            change = self.handle.check_risk(risk)
        except ValueError as exc:
            return None, params, str(exc)
        if self.strategy:
            try:
                registry.create(self.strategy, params)
            except ValueError as exc:
                return None, params, str(exc)
        return change, params, ""

    def show_preview(self) -> bool:
        box = self.query_one("#preview-box", Static)
        _, _, problem = self._validate()
        changes = self._changes()
        parts: list[Content | str | tuple[str, str]] = []
        if problem:
            parts += [refused(problem), "\n"]
        if not changes:
            parts.append(("no changes", "dim"))
        for name, old, new in changes:
            parts += [(f"{name}: ", "bold"), (f"{old}", LOSS), " → ", (f"{new}", GAIN), "\n"]
        if changes and not problem:
            parts.append(("applies from the next decision on; no restart needed", "dim"))
        box.update(Content.assemble(*parts))
        return not problem and bool(changes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "preview":
            self.show_preview()
        elif event.button.id == "apply":
            self.action_apply()

    def action_apply(self) -> None:
        if not self.show_preview():
            self.notify(
                "nothing applied: fix the fields marked in the preview" if self._changes() else "no changes",
                severity="warning",
            )
            return
        risk_change, params, _ = self._validate()
        assert risk_change is not None
        changes = self._changes()
        note = "; ".join(f"{n}: {o} -> {v}" for n, o, v in changes)
        applied = False
        with refusals(self, "applying the settings"):
            self.handle.set_risk(risk_change.sizing, risk_change.limits, note=f"settings changed: {note}")
            if self.strategy and any(name.startswith(f"{self.strategy}.") for name, _, _ in changes):
                self.handle.set_params(self.strategy, params)
            applied = True
        if not applied:
            return
        self.risk_now, _ = self._edits()
        self.params_now = params
        self.record(note, risk_change, params)
        self.notify("applied: " + note, timeout=6)

    @work(exclusive=True, group="settings", exit_on_error=False)
    async def record(self, note: str, risk: RiskChange, params: dict[str, Any]) -> None:
        lines = ["[risk]"] + [f"{k} = {json.dumps(v)}" for k, v in risk.fields.items() if v is not None]
        if self.strategy:
            lines += ["", "[[strategies]]", f'name = "{self.strategy}"', "[strategies.params]"]
            lines += [f"{k} = {json.dumps(v)}" for k, v in params.items() if v is not None]
        stored = await self.handle.save_config_change("\n".join(lines) + "\n", note)
        if not stored:
            self.notify("not recorded in config_history: this session has no database", severity="warning")

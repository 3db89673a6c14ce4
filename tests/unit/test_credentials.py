"""API keys: env overrides keyring, masked everywhere, the `keys` command round trip."""

from __future__ import annotations

import io
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from tradetui.cli import main
from tradetui.core.market import Exchange
from tradetui.credentials import ApiKeys, load_keys, mask, store_keys
from tradetui.errors import ConfigError

ACCESS = "AKIAexampleaccess0001"
SECRET = "sekretsekretsekret9999"


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring leaves its backends' __init__ unannotated
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.data:
            raise PasswordDeleteError(username)
        del self.data[(service, username)]


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    for name in ("TRADETUI_UPBIT_ACCESS_KEY", "TRADETUI_UPBIT_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_mask_hides_all_but_the_ends() -> None:
    assert mask(ACCESS) == "AKIA…01"
    assert mask("short") == "****"
    keys = ApiKeys(Exchange.UPBIT, ACCESS, SECRET)
    assert SECRET not in repr(keys) and ACCESS not in str(keys)


def test_keyring_round_trip_and_env_override(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_keys(Exchange.UPBIT) is None
    store_keys(Exchange.UPBIT, ACCESS, SECRET)
    keys = load_keys(Exchange.UPBIT)
    assert keys is not None and keys.secret_key == SECRET and keys.source == "keyring"
    monkeypatch.setenv("TRADETUI_UPBIT_ACCESS_KEY", "envaccess123456")
    monkeypatch.setenv("TRADETUI_UPBIT_SECRET_KEY", "envsecret123456")
    keys = load_keys(Exchange.UPBIT)
    assert keys is not None and keys.access_key == "envaccess123456" and keys.source == "env"
    monkeypatch.delenv("TRADETUI_UPBIT_SECRET_KEY")
    with pytest.raises(ConfigError, match="TRADETUI_UPBIT_SECRET_KEY is not set"):
        load_keys(Exchange.UPBIT)


def test_keys_command_set_show_delete(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ACCESS}\n{SECRET}\n"))
    assert main(["keys", "set", "upbit"]) == 0
    assert memory_keyring.data[("tradetui", "upbit:secret_key")] == SECRET
    assert main(["keys", "show", "upbit"]) == 0
    out = capsys.readouterr().out
    assert "AKIA…01" in out and SECRET not in out and ACCESS not in out
    assert main(["keys", "delete", "upbit"]) == 0
    assert main(["keys", "show", "upbit"]) == 1
    assert "tradetui keys set upbit" in capsys.readouterr().out


def test_no_keyring_gives_a_clear_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]  # an unannotated keyring constructor
    try:
        with pytest.raises(ConfigError, match="TRADETUI_BITHUMB_ACCESS_KEY"):
            store_keys(Exchange.BITHUMB, ACCESS, SECRET)
    finally:
        keyring.set_keyring(previous)

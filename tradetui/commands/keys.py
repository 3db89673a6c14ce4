"""`tradetui keys set|show|delete EXCHANGE`."""

from __future__ import annotations

import argparse
import getpass
import sys

from tradetui.core.market import Exchange
from tradetui.credentials import (
    delete_keys,
    env_names,
    keyring_problem,
    load_keys,
    mask,
    no_keyring_help,
    store_keys,
)
from tradetui.errors import ConfigError


def _read_secret(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    line = sys.stdin.readline()
    if not line:
        raise ConfigError(
            f"no input for {prompt.strip().rstrip(':')}; pipe the access key and the secret key, "
            "one per line, or run in a terminal"
        )
    return line.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    for action, text in (
        ("set", "store keys (prompted, never echoed)"),
        ("show", "show the keys masked"),
        ("delete", "remove the stored keys"),
    ):
        act = actions.add_parser(action, help=text)
        act.add_argument("exchange", choices=("upbit", "bithumb"))


def run(args: argparse.Namespace) -> int:
    exchange = Exchange(args.exchange)
    if args.keys_command == "set":
        problem = keyring_problem()
        if problem is not None:  # said before any key is typed in vain
            raise ConfigError(no_keyring_help(exchange, problem))
        access = _read_secret(f"{exchange.value} access key: ")
        secret = _read_secret(f"{exchange.value} secret key: ")
        store_keys(exchange, access, secret)
        print(f"stored {exchange.value} keys in the OS keyring (access key {mask(access.strip())})")
        return 0
    if args.keys_command == "show":
        keys = load_keys(exchange)
        if keys is None:
            problem = keyring_problem()
            if problem is not None:
                print(f"no {exchange.value} keys in the environment, and " + no_keyring_help(exchange, problem))
                return 1
            access, secret = env_names(exchange)
            print(f"no {exchange.value} keys: run `tradetui keys set {exchange.value}` or set {access} and {secret}")
            return 1
        print(
            f"{exchange.value}: access key {mask(keys.access_key)}, secret key {mask(keys.secret_key)} "
            f"(from {keys.source})"
        )
        return 0
    removed = delete_keys(exchange)
    print(f"deleted the {exchange.value} keys from the OS keyring" if removed else f"no stored {exchange.value} keys")
    return 0

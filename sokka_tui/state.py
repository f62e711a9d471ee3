"""What the console remembers between runs: a small JSON file, ``state.json``,
in ``$SOKKA_STATE_DIR`` if set, else the user's state directory for
``sokka-tui`` (platformdirs: ``$XDG_STATE_HOME/sokka-tui``, else
``~/.local/state/sokka-tui`` on Linux).

Only layout lives here (the leased panel's share of the screen, whether the
tasks screen shows its rates chart). A file that
is missing, corrupt or cannot be written is ignored: the console starts with
its defaults and says nothing, since nothing the operator asked for is lost
beyond a panel's height.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_state_path

ENV_STATE_DIR = "SOKKA_STATE_DIR"
FILE_NAME = "state.json"


def state_path() -> Path:
    """``state.json`` in ``$SOKKA_STATE_DIR``, else in the user's state directory."""
    if os.environ.get(ENV_STATE_DIR):
        return Path(os.environ[ENV_STATE_DIR]).expanduser() / FILE_NAME
    return user_state_path("sokka-tui", appauthor=False) / FILE_NAME


def load_state() -> dict[str, object]:
    """What was remembered; ``{}`` when the file is missing, unreadable or not a JSON object."""
    try:
        with open(state_path(), encoding="utf-8") as file:
            state = json.load(file)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def remember(key: str, value: object) -> None:
    """Set ``key`` in the state file (written whole, atomically); failures ignored."""
    state = load_state()
    state[key] = value
    path = state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{FILE_NAME}.{os.getpid()}")
        partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass


def remembered_share(default: float, low: float, high: float) -> float:
    """The leased panel's remembered share, if it is a number within ``low``..``high``."""
    share = load_state().get("leased_share")
    if isinstance(share, (int, float)) and not isinstance(share, bool) and low <= share <= high:
        return float(share)
    return default


def remembered_flag(key: str) -> bool | None:
    """A remembered yes/no (``None``: never chosen, or not a boolean)."""
    flag = load_state().get(key)
    return flag if isinstance(flag, bool) else None

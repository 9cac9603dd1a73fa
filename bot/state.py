"""Where fleetmod keeps its state (the local forge, clone cache, ledger): one rule for every
command, so that `fleetmod run` and `fleetmod prs` look in the same place."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "FLEETMOD_STATE_DIR"
DEFAULT = Path(".fleetmod")


def state_dir(option: Path | None) -> Path:
    """The --state-dir option, else $FLEETMOD_STATE_DIR, else ./.fleetmod, made absolute:
    git runs in other folders (clones, origins) and must find the same place."""
    if option is not None:
        return option.expanduser().absolute()
    from_env = os.environ.get(ENV_VAR)
    return (Path(from_env).expanduser() if from_env else DEFAULT).absolute()

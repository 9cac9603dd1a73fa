"""The sample fleet that `fleetmod demo` runs a campaign against.

About a dozen small but realistic repositories, built as bare git repositories on the
local forge: most break the shipped security policy in the ways real code does, one is
already compliant, one holds a file that does not parse, and one has a test that fails
once the policy's change is made. The repositories' files live in `bot.demo_fleet.repos`
as Python strings, so the fleet ships with the package without any package-data setup.
"""

from __future__ import annotations

from bot.demo_fleet.build import build_fleet
from bot.demo_fleet.repos import FLEET_DESCRIPTION, REPOSITORIES
from bot.demo_fleet.sample import SampleRepo

__all__ = ["FLEET_DESCRIPTION", "REPOSITORIES", "SampleRepo", "build_fleet"]

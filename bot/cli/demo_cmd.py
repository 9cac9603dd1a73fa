"""`fleetmod demo`: the whole product on a sample fleet, with no token and no network."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.campaign import CampaignOptions
from bot.cli import app
from bot.cli.campaign_cmd import campaign, exit_code, load, show
from bot.cli.console import err, out
from bot.demo_fleet import FLEET_DESCRIPTION, build_fleet
from bot.forges.local import LocalForge
from bot.ledger import Ledger
from bot.outcomes import Outcome
from bot.report import build_report, render_html
from bot.sources import local_repos, select

POLICY = Path(__file__).resolve().parents[2] / "policies" / "security-baseline.yaml"
ACTED = {Outcome.PR_OPENED, Outcome.PR_UPDATED}


@app.command("demo")
def demo_command(
    directory: Path = typer.Argument(
        Path("fleetmod-demo"), help="Where the sample fleet and the campaign state go."
    ),
) -> None:
    """Build a sample fleet of git repositories and run the security baseline on it."""
    directory = directory.absolute()
    fleet, state = directory / "fleet", directory / ".fleetmod"
    verb = "reusing" if fleet.is_dir() else "building"
    err.print(f"{verb} the sample fleet of {len(FLEET_DESCRIPTION)} repositories in {fleet}")
    build_fleet(fleet)
    policy = load(POLICY)
    repos = select(policy, local_repos(policy, POLICY.parent, [fleet]))
    result = campaign(policy, LocalForge(state), repos, state, CampaignOptions("run"))
    show(result, f"{policy.id} on the sample fleet", as_json=False)
    report = directory / "report.html"
    report.write_text(render_html(build_report(policy, Ledger.of(state))))
    if not any(o.outcome in ACTED or "closed PR" in o.reason for o in result.outcomes):
        out.print("[bold]Nothing new to do:[/] every pull request is already up to date.")
    first = next((o for o in result.outcomes if o.pr_number), None)
    hint = f"--state-dir {state}"
    out.print(f"\nHTML report: {report}")
    out.print(f"Pull requests: fleetmod prs {hint}")
    if first is not None:
        out.print(f"One of them:   fleetmod pr show {first.pr_number} --repo {first.repo} {hint}")
    out.print(f"Run it again:  fleetmod demo {directory}")
    raise typer.Exit(exit_code(result.outcomes))

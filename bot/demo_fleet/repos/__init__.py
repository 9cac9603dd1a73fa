"""The repositories of the sample fleet, one module each, in the order the demo lists them."""

from __future__ import annotations

from bot.demo_fleet.repos import (
    admin_portal,
    auth_gateway,
    billing_service,
    data_pipeline,
    docs_site,
    inventory_api,
    legacy_scripts,
    ml_features,
    notifications_worker,
    reporting_jobs,
    shipping_rates,
)
from bot.demo_fleet.sample import SampleRepo

REPOSITORIES: tuple[SampleRepo, ...] = tuple(
    module.REPOSITORY
    for module in (
        billing_service,
        inventory_api,
        notifications_worker,
        auth_gateway,
        reporting_jobs,
        data_pipeline,
        ml_features,
        admin_portal,
        legacy_scripts,
        docs_site,
        shipping_rates,
    )
)

FLEET_DESCRIPTION: dict[str, str] = {repo.name: repo.description for repo in REPOSITORIES}

"""fleetmod's orchestration layer: policies, campaigns across repositories, forges, reports."""

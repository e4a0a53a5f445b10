"""The metrics ASPE's processes write. Importing this module imports prometheus_client:
only ``aspe.metrics`` does, on the first count, after ``configure`` (see there)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_LATENCY = Histogram(
    "aspe_http_request_duration_seconds",
    "Time from a request's arrival to its response's headers, by route template.",
    ["method", "route", "status"],
)
GRAPHQL_LATENCY = Histogram(
    "aspe_graphql_operation_duration_seconds",
    "Time to run a GraphQL operation (over /graphql or for a portal page), by its name.",
    ["operation", "type"],
)
COMMANDS_ACCEPTED = Counter(
    "aspe_commands_accepted", "Commands that stored their events.", ["command"]
)
COMMANDS_REFUSED = Counter(
    "aspe_commands_refused",
    "Commands refused, by error code (INTERNAL_ERROR: not a refusal of the domain).",
    ["command", "code"],
)
PROJECTION_ERRORS = Counter(
    "aspe_projection_errors",
    "Read models stopped on an event they could not apply.",
    ["read_model"],
)
CLOCK_RUNS = Counter(
    "aspe_clock_runs", "Runs of the regulatory clocks, by outcome.", ["clock", "outcome"]
)
CLOCK_SECONDS = Histogram(
    "aspe_clock_run_duration_seconds",
    "Time a clock's run took.",
    ["clock"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)

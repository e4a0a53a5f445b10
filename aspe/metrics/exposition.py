"""The text ``/metrics`` serves: what the processes counted (this one's, or every one's
from ``ASPE_METRICS_DIR``), and what is read when Prometheus asks — the read models' lag
and failures, the deliveries by status, the queue's depth. Importing this module imports
prometheus_client: only the endpoint does, when it is first asked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import redis
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from aspe import metrics
from aspe.projections.runner import Projector
from aspe.settings import Settings
from aspe.workers.delivery import delivery_counts

log = logging.getLogger(__name__)

REDIS_TIMEOUT = 1.0
"""Seconds a scrape waits for Redis: a slow broker makes a gap, not a stalled scrape."""

Source = Callable[[], Iterable[Metric]]


def exposition(settings: Settings, projector: Projector | None) -> bytes:
    """The exposition, in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    directory = metrics.multiprocess_dir()
    if directory is not None:
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]  # untyped upstream
    else:
        registry.register(_ThisProcess())
    registry.register(ReadAtScrape(settings, projector))
    return generate_latest(registry)


class _ThisProcess(Collector):
    """One process alone: its own counts (and prometheus_client's process metrics)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


@dataclass(eq=False)  # registered by identity: prometheus_client hashes collectors
class ReadAtScrape(Collector):
    """What the stores say now. A source that fails is left out of this scrape, logged,
    and shown by ``aspe_metrics_source_up{source} 0``: the rest is still served."""

    settings: Settings
    projector: Projector | None

    def sources(self) -> dict[str, Source]:
        settings, projector, redis_url = self.settings, self.projector, self.settings.redis_url
        sources: dict[str, Source] = {"deliveries": lambda: deliveries(settings)}
        if projector is not None:
            sources["read_models"] = lambda: read_models(projector)
        if redis_url is not None:
            sources["queue"] = lambda: queue_depth(redis_url, settings.celery_queue)
        return sources

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "aspe_metrics_source_up", "Whether a source answered this scrape.", labels=["source"]
        )
        for name, source in self.sources().items():
            try:
                families = list(source())
            except Exception:  # whatever the store or broker raised: said, and scraped on
                log.warning("metrics: the source %s did not answer", name, exc_info=True)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


def read_models(projector: Projector) -> Iterator[Metric]:
    lines = projector.status()
    lag = GaugeMetricFamily(
        "aspe_projection_lag_events",
        "Events stored that a read model has not applied yet (the store's head minus its "
        "position).",
        labels=["read_model"],
    )
    failed = GaugeMetricFamily(
        "aspe_projection_failed",
        "1 when a read model has stopped on an event it could not apply.",
        labels=["read_model"],
    )
    for line in lines:
        lag.add_metric([line.name], line.lag)
        failed.add_metric([line.name], 0 if line.failure is None else 1)
    head = GaugeMetricFamily(
        "aspe_event_store_head",
        "Position of the last stored event.",
        value=max((line.head for line in lines), default=0),
    )
    yield from (lag, failed, head)


def deliveries(settings: Settings) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "aspe_deliveries",
        "Deliveries by channel and status (queued and sending: pending; delivered: sent).",
        labels=["channel", "status"],
    )
    for channel, by_status in delivery_counts(settings).items():
        for status, count in by_status.items():
            family.add_metric([channel, status], count)
    yield family


def queue_depth(redis_url: str, queue: str) -> Iterator[Metric]:
    client = redis.Redis.from_url(
        redis_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    with client:
        depth = int(client.llen(queue))
    family = GaugeMetricFamily(
        "aspe_queue_depth",
        "Celery tasks waiting in ASPE's queue on Redis (not yet taken by a worker).",
        labels=["queue"],
    )
    family.add_metric([queue], depth)
    yield family

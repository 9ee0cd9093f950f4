"""What ``/metrics`` on the management listener shows.

One server process (``--workers 1``): the default registry of this process, with
prometheus-client's process, platform and garbage-collector metrics. Several workers: the
sum of every worker's files in the multiprocess directory
(:mod:`authgate.metrics.multiprocess`), plus ``process_*`` metrics of the management
listener's process and of each live process recording there (the workers and their
supervisor), labelled with their ``pid``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, ProcessCollector
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from authgate.metrics.multiprocess import Workers


class _Everything:
    """Everything a registry collects (the default registry, inside another one)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


class ProcessesCollector:
    """prometheus-client's ``process_*`` metrics for several processes, by ``pid`` label."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids

    def collect(self) -> Iterable[Metric]:
        merged: dict[str, Metric] = {}
        for pid in self._pids():
            collector = ProcessCollector(pid=lambda pid=pid: pid, registry=None)  # type: ignore[misc]
            for metric in collector.collect():
                into = merged.setdefault(
                    metric.name, Metric(metric.name, metric.documentation, metric.type)
                )
                for sample in metric.samples:
                    into.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
        return list(merged.values())


class KeyAgeCollector:
    """``authgate_signing_key_age_seconds{alg}`` from a function giving the ages."""

    def __init__(self, ages: Callable[[], dict[str, float]]) -> None:
        self._ages = ages

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "authgate_signing_key_age_seconds",
            "Seconds since the key that signs each algorithm now was created.",
            labels=("alg",),
        )
        for alg, age in self._ages().items():
            family.add_metric((alg,), age)
        return [family]


class Exposition:
    """The management listener's registry and its text rendering.

    Args:
        directory: The multiprocess directory of several workers; None for one process.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        self.workers: Workers | None = None
        if directory is None:
            self.registry.register(_Everything(REGISTRY))
        else:
            self.workers = Workers(directory)
            MultiProcessCollector(self.registry, path=str(directory))  # type: ignore[no-untyped-call]
            self.registry.register(ProcessesCollector(self._processes))

    def _processes(self) -> list[int]:
        assert self.workers is not None
        return [os.getpid(), *self.workers.live()]

    def register(self, collector: Collector) -> None:
        self.registry.register(collector)

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The exposition in the format ``accept`` asks for (text, or OpenMetrics), and its
        content type."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type

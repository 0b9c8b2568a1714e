"""Prometheus metrics, in a registry owned by one worker (no process globals)."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._server: WSGIServer | None = None
        r = self.registry
        self.comments_seen = Counter("commentwatch_comments_seen", "Comments and danmaku read", ["kind"], registry=r)
        self.verdicts = Counter("commentwatch_verdicts", "Verdicts by action", ["action"], registry=r)
        self.hides = Counter("commentwatch_hides", "Hide calls by outcome", ["outcome"], registry=r)
        self.alerts = Counter("commentwatch_alerts", "Alerts by outcome", ["outcome"], registry=r)
        self.dead_letters = Counter("commentwatch_dead_letters", "Payloads that could not be parsed", ["kind"],
                                    registry=r)
        self.errors = Counter("commentwatch_errors", "Errors by stage", ["stage"], registry=r)
        self.hide_seconds = Histogram("commentwatch_hide_seconds", "Latency of one hide call",
                                      buckets=LATENCY_BUCKETS, registry=r)
        self.judge_seconds = Histogram("commentwatch_judge_seconds", "Time to judge one page",
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.post_to_action_seconds = Histogram(
            "commentwatch_post_to_action_seconds", "From a comment's created_at to its hide being confirmed",
            buckets=LATENCY_BUCKETS, registry=r)

    def serve(self, host: str, port: int) -> None:
        """Expose /metrics on a background thread (prometheus-client's own server)."""
        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)

    def close(self) -> None:
        """Free the port, so a worker restarted in the same process can bind it again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

import Metrics
import Prometheus
import SystemPackage
import UpscaledLinux

/// Prometheus text metrics through swift-metrics and swift-prometheus, served at the page's
/// `GET /metrics` and written to a file for node_exporter's textfile collector
/// (`metrics_textfile`, off by default). The daemon records
/// through the swift-metrics API everywhere; without this exporter those calls are no-ops.
///
/// Metrics: `upscaled_files_total{outcome,engine}`, `upscaled_job_duration_seconds{engine}`
/// (histogram), `upscaled_queue_depth`, `upscaled_in_flight`, `upscaled_overflow_rescans`.
public final class MetricsExporter: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let file: FilePath?
    private static let writer = SerialWorker(name: "metrics-writer")

    /// Bootstraps swift-metrics with a Prometheus registry. Call once, before any metric is made.
    public init(file: FilePath?) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ]
        MetricsSystem.bootstrap(factory)
        self.registry = registry
        self.file = file
    }

    /// Writes the current values (atomically: a scraper never reads half a file).
    public func write() {
        guard let file else { return }
        let text = render()
        Self.writer.post {
            try? FileOperations.writeAtomically(text, to: file, durable: false)
        }
    }

    /// The current values in Prometheus' text format.
    public func render() -> [UInt8] {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }

    public func drain() { Self.writer.flush() }
}

//! Prometheus metrics, kept and written by the `prometheus-client` crate: counters in memory
//! (requests by route and status, command outcomes, sign-ins, deliveries), a request-duration
//! histogram, and gauges read at each scrape, in the OpenMetrics text format at `/metrics`.
//!
//! `/metrics` is not for the world: on the main listener it answers only a request carrying
//! the configured `metrics_token` (`Authorization: Bearer …`), and 404 when none is
//! configured; `metrics_listen` serves it alone on an address of its own (see
//! [`crate::routes::health`]).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The labels of a request counted.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

/// The labels of a request timed.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// A counter family whose labels are given by name.
type Labelled = Family<Vec<(String, String)>, Counter>;

fn request_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The process's metrics.
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Other counters by name (without `_total`).
    counters: Mutex<BTreeMap<String, Labelled>>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            requests: Family::default(),
            durations: Family::new_with_constructor(request_histogram),
            counters: Mutex::new(BTreeMap::new()),
        }
    }
}

/// A counter's name and labels from `name{label="v",…}`.
fn parse(name: &str) -> (String, Vec<(String, String)>) {
    let (base, labels) = match name.split_once('{') {
        Some((base, rest)) => (base, rest.trim_end_matches('}')),
        None => (name, ""),
    };
    let base = base.strip_suffix("_total").unwrap_or(base).to_owned();
    let labels = labels
        .split(',')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        })
        .collect();
    (base, labels)
}

/// What a counter counts, for its `# HELP` line.
fn help(name: &str) -> &'static str {
    match name {
        "duban_commands" => "Commands by outcome (accepted, rejected, replayed).",
        "duban_deliveries" => "Push and SMS deliveries by outcome.",
        "duban_logins" => "Successful sign-ins.",
        "duban_login_failures" => "Failed sign-ins.",
        "duban_login_lockouts" => "Accounts locked after failed sign-ins.",
        _ => "Events counted.",
    }
}

impl Metrics {
    /// Adds one to a counter, named as it is written (`name_total`, labels as
    /// `name_total{label="v"}`).
    pub fn count(&self, name: &str) {
        self.add(name, 1);
    }

    /// Adds `n` to a counter.
    pub fn add(&self, name: &str, n: u64) {
        let (base, labels) = parse(name);
        if let Ok(mut c) = self.counters.lock() {
            c.entry(base).or_default().get_or_create(&labels).inc_by(n);
        }
    }

    /// Records one request.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// The OpenMetrics text ([`CONTENT_TYPE`]), with `extra` gauges (name, help, value).
    pub fn render(&self, extra: &[(&str, &str, i64)]) -> String {
        let mut registry = Registry::default();
        registry.register(
            "duban_http_requests",
            "Requests by method, route and status.",
            self.requests.clone(),
        );
        registry.register(
            "duban_http_request_duration_seconds",
            "Time to answer a request, by method and route.",
            self.durations.clone(),
        );
        if let Ok(c) = self.counters.lock() {
            for (name, family) in c.iter() {
                registry.register(name.as_str(), help(name), family.clone());
            }
        }
        for (name, help, v) in extra {
            let g: Gauge = Gauge::default();
            g.set(*v);
            registry.register(*name, *help, g);
        }
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
            tracing::error!(%e, "metrics could not be written");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_requests_and_gauges_are_written() {
        let m = Metrics::default();
        m.count("duban_commands_total{outcome=\"accepted\"}");
        m.add("duban_commands_total{outcome=\"accepted\"}", 2);
        m.count("duban_logins_total");
        m.request("GET", "/healthz", 200, Duration::from_millis(3));
        let text = m.render(&[("duban_items", "Items stored.", 7)]);
        assert!(
            text.contains("duban_commands_total{outcome=\"accepted\"} 3"),
            "{text}"
        );
        assert!(text.contains("duban_logins_total 1"), "{text}");
        assert!(
            text.contains(
                "duban_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "duban_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("duban_items 7"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}

//! Prometheus-format metrics: counters kept in memory (requests by route and status, command
//! outcomes, sign-ins) and a request-duration summary, rendered at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// The process's metrics.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<String, u64>>,
    durations: Mutex<BTreeMap<String, (u64, f64)>>,
}

impl Metrics {
    /// Adds one to a counter (the name may carry labels: `name{label="v"}`).
    pub fn count(&self, name: &str) {
        self.add(name, 1);
    }

    /// Adds `n` to a counter.
    pub fn add(&self, name: &str, n: u64) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry(name.to_owned()).or_insert(0) += n;
        }
    }

    /// Records one request.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.count(&format!(
            "duban_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
        ));
        if let Ok(mut d) = self.durations.lock() {
            let e = d
                .entry(format!("method=\"{method}\",route=\"{route}\""))
                .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += took.as_secs_f64();
        }
    }

    /// The text exposition format, with `extra` gauges appended.
    pub fn render(&self, extra: &[(&str, &str, i64)]) -> String {
        let mut out = String::new();
        let mut last = String::new();
        if let Ok(c) = self.counters.lock() {
            for (k, v) in c.iter() {
                let name = k.split('{').next().unwrap_or(k);
                if name != last {
                    let _ = writeln!(out, "# TYPE {name} counter");
                    last = name.to_owned();
                }
                let _ = writeln!(out, "{k} {v}");
            }
        }
        if let Ok(d) = self.durations.lock() {
            if !d.is_empty() {
                let _ = writeln!(out, "# TYPE duban_http_request_duration_seconds summary");
            }
            for (labels, (n, sum)) in d.iter() {
                let _ = writeln!(
                    out,
                    "duban_http_request_duration_seconds_count{{{labels}}} {n}"
                );
                let _ = writeln!(
                    out,
                    "duban_http_request_duration_seconds_sum{{{labels}}} {sum:.6}"
                );
            }
        }
        for (name, help, v) in extra {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}

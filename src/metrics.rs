//! Process-wide counters and gauges exported on /metrics.

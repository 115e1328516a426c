//! The process's peak resident set, as the benches report it.

/// Peak RSS in MB (VmHWM from /proc/self/status; 0 where there is none).
pub fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// One line of /proc/self/status in MB (0 where there is none).
pub fn status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

//! Configuration: every option is a flag, a `KINDLING_*` environment variable
//! and a key in an optional YAML file (`--config.file`). Precedence is
//! flag > environment > file > default. Defaults are tuned for a Raspberry Pi
//! with a 512 MiB memory limit; memory budgets follow the cgroup limit.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// A configuration problem, reported before the server starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value could not be parsed.
    #[error("invalid value {value:?} for {key}: {reason}")]
    Invalid {
        /// The option's YAML key.
        key: &'static str,
        /// The offending value.
        value: String,
        /// Why it is wrong.
        reason: String,
    },
    /// The config file could not be read or parsed.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Command line of the `kindling` binary.
#[derive(Parser, Debug)]
#[command(
    name = "kindling",
    version,
    about = "A Loki-compatible log store for small self-hosted clusters.",
    long_about = "A Loki-compatible log store for small self-hosted clusters.\n\n\
        Every option can also be set as a KINDLING_* environment variable or as a key of the\n\
        YAML file given with --config.file (the key is the flag name with '_' for '-').\n\
        Precedence: flag > environment > file > default. Durations: 30s, 5m, 1h30m, 7d, 2w, 0.\n\
        Sizes: 256KB, 16MiB, 1GB, or a plain number of bytes."
)]
pub struct Cli {
    /// What to do; serving the API is the default.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// All options.
    #[command(flatten)]
    pub flags: Flags,
}

/// Sub-commands of `kindling`.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve the Loki HTTP API (the default).
    Serve,
    /// Verify every checksum of a data directory (--data) offline; exits 1 on damage.
    Check,
}

macro_rules! options {
    ($(
        $(#[doc = $doc:literal])+
        $field:ident : $ty:ty = $default:literal, $env:literal, $parse:path;
    )*) => {
        /// Options as given on the command line or in the environment
        /// (strings, parsed when the configuration is resolved).
        #[derive(Args, Debug, Default, Clone)]
        pub struct Flags {
            /// YAML file with options (keys are the flag names with '_' for '-').
            #[arg(long = "config.file", env = "KINDLING_CONFIG_FILE", value_name = "FILE", global = true)]
            pub config_file: Option<PathBuf>,
            $(
                #[doc = concat!($($doc,)+ " (flag, ", $env, " or file key ", stringify!($field), ")")]
                #[arg(long, env = $env, value_name = "VALUE", global = true, hide_env = true,
                      help = concat!($($doc,)+ " [default: ", $default, "] [env: ", $env, "]"),
                      long_help = None)]
                pub $field: Option<String>,
            )*
        }

        /// The resolved configuration.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Config {
            $( $(#[doc = $doc])+ pub $field: $ty, )*
        }

        /// Every YAML key the config file accepts.
        pub const CONFIG_KEYS: &[&str] = &[ $( stringify!($field), )* ];

        impl Config {
            /// The configuration as `key: value` lines (for `/config`).
            pub fn render(&self) -> String {
                let mut out = String::new();
                $( out.push_str(&format!("{}: {:?}\n", stringify!($field), self.$field)); )*
                out
            }

            /// Resolves flags/environment, then the file, then defaults.
            pub fn resolve(flags: &Flags) -> Result<Config, ConfigError> {
                let file = match &flags.config_file {
                    Some(path) => read_file(path)?,
                    None => BTreeMap::new(),
                };
                Ok(Config {
                    $( $field: {
                        let key = stringify!($field);
                        let raw = flags.$field.clone()
                            .or_else(|| file.get(key).cloned())
                            .unwrap_or_else(|| $default.to_string());
                        $parse(&raw).map_err(|reason| ConfigError::Invalid {
                            key, value: raw.clone(), reason,
                        })?
                    }, )*
                })
            }
        }
    };
}

options! {
    /// Address and port of the HTTP API.
    listen: SocketAddr = "0.0.0.0:3100", "KINDLING_LISTEN", parse_addr;
    /// Data directory (WAL, day partitions).
    data: PathBuf = "./data", "KINDLING_DATA", parse_path;
    /// Keep data this long, dropping whole UTC days; 0 keeps everything.
    retention: Option<Duration> = "7d", "KINDLING_RETENTION", parse_optional_duration;
    /// Reject entries older than this at push time; 0 accepts any age.
    reject_old_samples_max_age: Option<Duration> = "7d", "KINDLING_REJECT_OLD_SAMPLES_MAX_AGE", parse_optional_duration;
    /// Reject entries newer than now plus this.
    creation_grace_period: Duration = "10m", "KINDLING_CREATION_GRACE_PERIOD", parse_duration;
    /// Fsync the WAL at most this often; 0 fsyncs before every acknowledgement.
    wal_sync_interval: Duration = "1s", "KINDLING_WAL_SYNC_INTERVAL", parse_duration;
    /// Accept entries up to this much older than the newest entry of their stream.
    out_of_order_window: Duration = "1h", "KINDLING_OUT_OF_ORDER_WINDOW", parse_duration;
    /// Memory for open (uncompressed) head blocks of all streams; "auto" is
    /// 16MiB, or 1/32 of the cgroup memory limit when one is set (4MiB..256MiB).
    head_budget: Option<u64> = "auto", "KINDLING_HEAD_BUDGET", parse_auto_bytes;
    /// Uncompressed size at which a stream's chunk is cut.
    chunk_target_size: u64 = "1MiB", "KINDLING_CHUNK_TARGET_SIZE", parse_bytes;
    /// Uncompressed size of one compressed block inside a chunk.
    chunk_block_size: u64 = "256KiB", "KINDLING_CHUNK_BLOCK_SIZE", parse_bytes;
    /// Cut a stream's head once its oldest entry is this old.
    chunk_max_age: Duration = "1h", "KINDLING_CHUNK_MAX_AGE", parse_duration;
    /// Cut a stream's head when it received nothing for this long.
    chunk_idle_period: Duration = "30m", "KINDLING_CHUNK_IDLE_PERIOD", parse_duration;
    /// Longest accepted log line; 0 means no limit.
    max_line_size: u64 = "256KB", "KINDLING_MAX_LINE_SIZE", parse_bytes;
    /// Truncate over-long lines instead of rejecting them.
    max_line_size_truncate: bool = "false", "KINDLING_MAX_LINE_SIZE_TRUNCATE", parse_bool;
    /// Most label names per stream (service_name not counted).
    max_label_names_per_series: usize = "15", "KINDLING_MAX_LABEL_NAMES_PER_SERIES", parse_usize;
    /// Longest label name.
    max_label_name_length: usize = "1024", "KINDLING_MAX_LABEL_NAME_LENGTH", parse_usize;
    /// Longest label value.
    max_label_value_length: usize = "2048", "KINDLING_MAX_LABEL_VALUE_LENGTH", parse_usize;
    /// Largest structured metadata of one entry.
    max_structured_metadata_size: u64 = "64KB", "KINDLING_MAX_STRUCTURED_METADATA_SIZE", parse_bytes;
    /// Most structured metadata entries of one entry.
    max_structured_metadata_entries: usize = "128", "KINDLING_MAX_STRUCTURED_METADATA_ENTRIES", parse_usize;
    /// Per-tenant ingestion rate in MB/s (0 = unlimited).
    ingestion_rate_mb: f64 = "4", "KINDLING_INGESTION_RATE_MB", parse_f64;
    /// Per-tenant ingestion burst in MB.
    ingestion_burst_size_mb: f64 = "6", "KINDLING_INGESTION_BURST_SIZE_MB", parse_f64;
    /// Per-stream ingestion rate (0 = unlimited).
    per_stream_rate_limit: u64 = "3MB", "KINDLING_PER_STREAM_RATE_LIMIT", parse_bytes;
    /// Per-stream ingestion burst.
    per_stream_rate_limit_burst: u64 = "15MB", "KINDLING_PER_STREAM_RATE_LIMIT_BURST", parse_bytes;
    /// Most active streams per tenant.
    max_streams_per_tenant: usize = "5000", "KINDLING_MAX_STREAMS_PER_TENANT", parse_usize;
    /// Largest accepted push body (compressed).
    max_recv_msg_size: u64 = "100MiB", "KINDLING_MAX_RECV_MSG_SIZE", parse_bytes;
    /// Add a service_name stream label at push time, as Loki does.
    discover_service_name: bool = "true", "KINDLING_DISCOVER_SERVICE_NAME", parse_bool;
    /// Add detected_level structured metadata at push time, as Loki does.
    discover_log_levels: bool = "true", "KINDLING_DISCOVER_LOG_LEVELS", parse_bool;
    /// Longest a query may run before it fails with 504.
    query_timeout: Duration = "1m", "KINDLING_QUERY_TIMEOUT", parse_duration;
    /// Largest `limit` a log query may ask for.
    max_entries_limit_per_query: usize = "5000", "KINDLING_MAX_ENTRIES_LIMIT_PER_QUERY", parse_usize;
    /// Most series a metric query may return.
    max_query_series: usize = "500", "KINDLING_MAX_QUERY_SERIES", parse_usize;
    /// Longest time range of one query; 0 means no limit.
    max_query_length: Option<Duration> = "721h", "KINDLING_MAX_QUERY_LENGTH", parse_optional_duration;
    /// Most bytes of log lines one query may read; 0 means no limit.
    max_query_bytes_read: u64 = "0", "KINDLING_MAX_QUERY_BYTES_READ", parse_bytes;
    /// Log level: error, warn, info, debug or trace.
    log_level: String = "info", "KINDLING_LOG_LEVEL", parse_log_level;
    /// Log format: text or json.
    log_format: String = "text", "KINDLING_LOG_FORMAT", parse_log_format;
}

impl Config {
    /// The configuration with every option at its default.
    pub fn defaults() -> Config {
        // Defaults are literals checked by the tests below.
        Config::resolve(&Flags::default()).unwrap_or_else(|e| panic!("bad default: {e}"))
    }

    /// The head budget in bytes, resolving "auto" against the cgroup limit.
    pub fn head_budget_bytes(&self) -> u64 {
        self.head_budget
            .unwrap_or_else(|| auto_head_budget(cgroup_memory_limit()))
    }
}

/// Reads the YAML file into key → string value; unknown keys are errors so
/// that typos do not pass silently.
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let err = |reason: String| ConfigError::File {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| err(e.to_string()))?;
    let mut out = BTreeMap::new();
    let map = match doc {
        serde_yaml::Value::Null => return Ok(out),
        serde_yaml::Value::Mapping(m) => m,
        _ => {
            return Err(err(
                "the top level must be a mapping of option: value".into()
            ))
        }
    };
    for (k, v) in map {
        let key = k
            .as_str()
            .ok_or_else(|| err(format!("key {k:?} is not a string")))?
            .replace('-', "_");
        if !CONFIG_KEYS.contains(&key.as_str()) {
            return Err(err(format!("unknown option {key:?}")));
        }
        let value = match v {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::Bool(b) => b.to_string(),
            other => return Err(err(format!("option {key}: {other:?} is not a scalar"))),
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// The memory limit of this process's cgroup, or None when unlimited or
/// unknown. The process's own cgroup comes from `/proc/self/cgroup` (under
/// systemd it is not the mount root); the smallest limit on the path up to
/// the root wins. cgroup v2 `memory.max` first, then v1 `memory.limit_in_bytes`.
pub fn cgroup_memory_limit() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    cgroup_limit_from(&own, "/sys/fs/cgroup", |p| std::fs::read_to_string(p).ok())
}

fn cgroup_limit_from(
    proc_cgroup: &str,
    root: &str,
    read: impl Fn(&Path) -> Option<String>,
) -> Option<u64> {
    let parse = |s: String| s.trim().parse::<u64>().ok().filter(|&n| n < (1 << 60));
    let min_up = |base: PathBuf, rel: &str, file: &str| -> Option<u64> {
        let mut dir = base.join(rel.trim_start_matches('/'));
        let mut best: Option<u64> = None;
        loop {
            if let Some(v) = read(&dir.join(file)).and_then(parse) {
                best = Some(best.map_or(v, |b| b.min(v)));
            }
            if dir == base || !dir.pop() {
                break;
            }
        }
        best
    };
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next(), parts.next());
        match (controllers, path) {
            (Some(""), Some(p)) => {
                if let Some(v) = min_up(PathBuf::from(root), p, "memory.max") {
                    return Some(v);
                }
            }
            (Some(c), Some(p)) if c.split(',').any(|c| c == "memory") => {
                let base = Path::new(root).join("memory");
                if let Some(v) = min_up(base, p, "memory.limit_in_bytes") {
                    return Some(v);
                }
            }
            _ => {}
        }
    }
    // No /proc/self/cgroup entry: a container's namespace root.
    read(&Path::new(root).join("memory.max")).and_then(parse)
}

/// 16 MiB without a limit; with one, 1/32 of it clamped to 4 MiB..256 MiB.
fn auto_head_budget(limit: Option<u64>) -> u64 {
    const MIB: u64 = 1 << 20;
    match limit {
        Some(l) => (l / 32).clamp(4 * MIB, 256 * MIB),
        None => 16 * MIB,
    }
}

fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|e| format!("{e}; expected address:port"))
}

fn parse_path(s: &str) -> Result<PathBuf, String> {
    if s.is_empty() {
        return Err("empty path".into());
    }
    Ok(PathBuf::from(s))
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn parse_usize(s: &str) -> Result<usize, String> {
    s.trim().parse().map_err(|e| format!("{e}"))
}

fn parse_f64(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("expected a non-negative number".into()),
    }
}

fn parse_log_level(s: &str) -> Result<String, String> {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "error" | "warn" | "info" | "debug" | "trace" => Ok(l),
        _ => Err("expected error, warn, info, debug or trace".into()),
    }
}

fn parse_log_format(s: &str) -> Result<String, String> {
    match s {
        "text" | "json" => Ok(s.to_string()),
        _ => Err("expected text or json".into()),
    }
}

/// A duration such as `500ms`, `30s`, `1h30m`, `7d`, `2w` or `0`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total: u128 = 0;
    let mut rest = s;
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err("expected a number followed by a unit (ms, s, m, h, d, w, y)".into());
        }
        let n: u128 = rest[..digits].parse().map_err(|e| format!("{e}"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let ms_per_unit: u128 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            u => return Err(format!("unknown unit {u:?} (use ms, s, m, h, d, w, y)")),
        };
        rest = &rest[unit_len..];
        total = total
            .checked_add(n.checked_mul(ms_per_unit).ok_or("duration too large")?)
            .ok_or("duration too large")?;
    }
    let ms = u64::try_from(total).map_err(|_| "duration too large".to_string())?;
    Ok(Duration::from_millis(ms))
}

fn parse_optional_duration(s: &str) -> Result<Option<Duration>, String> {
    let d = parse_duration(s)?;
    Ok((!d.is_zero()).then_some(d))
}

/// A size such as `256KB`, `16MiB`, `1G` or `1048576`. Every unit is
/// 1024-based, as in Loki's flags (`256KB` is 262144 bytes, the limit Loki's
/// messages name); `KiB` and `KB` are the same.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let num_len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, unit) = s.split_at(num_len);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("expected a size such as 256KB or 16MiB, got {s:?}"))?;
    let mult: f64 = match unit.trim() {
        "" | "B" => 1.0,
        "K" | "KB" | "kB" | "k" | "Ki" | "KiB" => 1024.0,
        "M" | "MB" | "Mi" | "MiB" => 1024.0 * 1024.0,
        "G" | "GB" | "Gi" | "GiB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "Ti" | "TiB" => 1024.0f64.powi(4),
        u => return Err(format!("unknown size unit {u:?}")),
    };
    let v = n * mult;
    if !v.is_finite() || v > u64::MAX as f64 {
        return Err("size too large".into());
    }
    Ok(v as u64)
}

fn parse_auto_bytes(s: &str) -> Result<Option<u64>, String> {
    if s == "auto" {
        return Ok(None);
    }
    parse_bytes(s).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_design_brief() {
        let c = Config::defaults();
        assert_eq!(c.listen, "0.0.0.0:3100".parse().unwrap());
        assert_eq!(c.data, PathBuf::from("./data"));
        assert_eq!(c.retention, Some(Duration::from_secs(7 * 86400)));
        assert_eq!(
            c.reject_old_samples_max_age,
            Some(Duration::from_secs(7 * 86400))
        );
        assert_eq!(c.wal_sync_interval, Duration::from_secs(1));
        assert_eq!(c.out_of_order_window, Duration::from_secs(3600));
        assert_eq!(c.max_line_size, 262_144);
        assert_eq!(c.max_label_names_per_series, 15);
        assert_eq!(c.max_entries_limit_per_query, 5000);
        assert_eq!(c.max_query_series, 500);
        assert_eq!(c.query_timeout, Duration::from_secs(60));
        assert_eq!(c.head_budget, None);
    }

    #[test]
    fn flag_beats_file_beats_default() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.yaml");
        std::fs::write(
            &file,
            "retention: 3d\nwal-sync-interval: 0\nmax_query_series: 10\n",
        )
        .unwrap();
        let flags = Flags {
            config_file: Some(file),
            retention: Some("0".into()),
            ..Flags::default()
        };
        let c = Config::resolve(&flags).unwrap();
        assert_eq!(c.retention, None, "flag wins over file");
        assert_eq!(
            c.wal_sync_interval,
            Duration::ZERO,
            "file wins over default"
        );
        assert_eq!(c.max_query_series, 10);
        assert_eq!(c.max_line_size, 262_144, "default when unset");
    }

    #[test]
    fn environment_is_read_by_the_command_line_parser() {
        // clap reads KINDLING_* variables into the same Option fields; a flag wins.
        std::env::set_var("KINDLING_MAX_QUERY_LENGTH", "1h");
        std::env::set_var("KINDLING_QUERY_TIMEOUT", "5s");
        let cli = Cli::try_parse_from(["kindling", "--query-timeout", "7s"]).unwrap();
        std::env::remove_var("KINDLING_MAX_QUERY_LENGTH");
        std::env::remove_var("KINDLING_QUERY_TIMEOUT");
        let c = Config::resolve(&cli.flags).unwrap();
        assert_eq!(c.max_query_length, Some(Duration::from_secs(3600)));
        assert_eq!(c.query_timeout, Duration::from_secs(7));
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k.yaml");
        std::fs::write(&file, "retension: 3d\n").unwrap();
        let flags = Flags {
            config_file: Some(file.clone()),
            ..Flags::default()
        };
        assert!(Config::resolve(&flags)
            .unwrap_err()
            .to_string()
            .contains("unknown option"));
        std::fs::write(&file, "retention: 3 days\n").unwrap();
        assert!(matches!(
            Config::resolve(&flags),
            Err(ConfigError::Invalid {
                key: "retention",
                ..
            })
        ));
    }

    #[test]
    fn durations_and_sizes() {
        let cases = [
            ("0", 0),
            ("500ms", 500),
            ("1h30m", 5_400_000),
            ("7d", 604_800_000),
            ("2w", 1_209_600_000),
        ];
        for (s, ms) in cases {
            assert_eq!(parse_duration(s).unwrap(), Duration::from_millis(ms), "{s}");
        }
        for bad in ["", "1.5h", "5", "3 days", "1x"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_bytes("256KB").unwrap(), 262_144);
        assert_eq!(parse_bytes("3MB").unwrap(), 3 << 20);
        assert_eq!(parse_bytes("16MiB").unwrap(), 16 << 20);
        assert_eq!(parse_bytes("1048576").unwrap(), 1 << 20);
        assert!(parse_bytes("12 parsecs").is_err());
    }

    #[test]
    fn cgroup_limit_follows_the_process_cgroup() {
        let files: BTreeMap<&str, &str> = [
            (
                "/cg/system.slice/kindling.service/memory.max",
                "536870912\n",
            ),
            ("/cg/system.slice/memory.max", "max\n"),
            ("/cg/memory/docker/abc/memory.limit_in_bytes", "268435456"),
        ]
        .into_iter()
        .collect();
        let read = |p: &Path| files.get(p.to_str().unwrap_or("")).map(|s| s.to_string());
        assert_eq!(
            cgroup_limit_from("0::/system.slice/kindling.service\n", "/cg", read),
            Some(512 << 20)
        );
        assert_eq!(
            cgroup_limit_from("4:memory:/docker/abc\n1:cpu:/x\n", "/cg", read),
            Some(256 << 20)
        );
        assert_eq!(cgroup_limit_from("0::/user.slice\n", "/cg", read), None);
    }

    #[test]
    fn head_budget_scales_with_the_cgroup_limit() {
        assert_eq!(auto_head_budget(None), 16 << 20);
        assert_eq!(auto_head_budget(Some(512 << 20)), 16 << 20);
        assert_eq!(auto_head_budget(Some(64 << 20)), 4 << 20);
        assert_eq!(auto_head_budget(Some(64 << 30)), 256 << 20);
    }
}

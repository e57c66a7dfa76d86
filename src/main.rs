//! The `kindling` binary: serves the Loki HTTP API, or checks a data directory.

use std::process::ExitCode;

use clap::Parser;
use kindling::config::{Cli, Command, Config};

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KINDLING_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// How often the allocator trimmer looks at the process.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// CPU time (user + system) below which an interval counts as idle.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const IDLE_CPU: std::time::Duration = std::time::Duration::from_millis(20);

/// User plus system CPU time of the whole process so far.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn process_cpu() -> std::time::Duration {
    // SAFETY: getrusage only writes the struct we hand it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return std::time::Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        std::time::Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Keeps glibc's allocator lean. Pushes are decoded on whichever blocking
/// thread runs them, and by default glibc gives each such thread its own
/// arena (up to 8 per core): a burst leaves every arena holding its own
/// freed memory. One arena per core keeps the peak down without making
/// threads queue for an arena's lock (a single arena cost 10-50% more CPU
/// on the ingest benchmark on 2 cores). glibc also
/// keeps freed pages inside its heap, so a thread hands them back to the
/// OS (`malloc_trim`) once the process has gone quiet after a burst: RSS
/// falls back when idle, and busy periods pay neither the trim (which holds
/// the arena lock) nor the page faults of re-growing the heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    let arenas = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 64)) as i32;
    // SAFETY: mallopt only adjusts the allocator's own settings.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
    let trimmer = std::thread::Builder::new()
        .name("malloc-trim".into())
        .stack_size(64 << 10)
        .spawn(|| {
            let mut last = process_cpu();
            let mut busy_since_trim = true;
            loop {
                std::thread::sleep(TRIM_INTERVAL);
                let now = process_cpu();
                let used = now.saturating_sub(last);
                last = now;
                if used >= IDLE_CPU {
                    busy_since_trim = true;
                } else if busy_since_trim {
                    busy_since_trim = false;
                    // SAFETY: malloc_trim only walks and releases the
                    // allocator's own free memory.
                    unsafe {
                        libc::malloc_trim(0);
                    }
                }
            }
        });
    if let Err(e) = trimmer {
        tracing::warn!(error = %e, "cannot start the malloc-trim thread");
    }
}

/// Other allocators need no tuning.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn serve(config: Config) -> ExitCode {
    tune_allocator();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .max_blocking_threads(16)
        .thread_stack_size(1 << 20)
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(kindling::server::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "kindling stopped");
            ExitCode::FAILURE
        }
    }
}

fn check(config: &Config) -> ExitCode {
    match kindling::store::check(&config.data) {
        Ok(report) => {
            print!("{report}");
            if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("kindling check: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::resolve(&cli.flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kindling: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Check => check(&config),
    }
}

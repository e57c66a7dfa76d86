//! Offline verification of a data directory (`kindling check --data DIR`):
//! every checksum of every WAL segment, chunk file, data file and index
//! file, every block decoded in full, and every index entry checked
//! against the data file it points into. Nothing is modified.

use std::fs;
use std::path::{Path, PathBuf};

use super::batch::EntryBatch;
use super::block::BlockDecoder;
use super::chunk_file::{self, DataFile};
use super::day_fields::{DayFields, FIELDS_FILE};
use super::error::StoreError;
use super::frame::{FrameLayout, FrameScanner, Scanned};
use super::fsutil::map_file;
use super::index::SealedIndex;
use super::key::parse_day_name;
use super::partition::classify_day;
use super::wal::{list_segments, parse_segment_header, SEGMENT_HEADER_LEN};
use super::wal_record::{RecordDecoder, WalRecord};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIssue {
    /// The file.
    pub path: PathBuf,
    /// Byte offset of the damaged record, block or section.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
}

/// What `check` found.
#[derive(Debug, Default, Clone)]
pub struct CheckReport {
    /// Files examined.
    pub files: u64,
    /// WAL records verified.
    pub wal_records: u64,
    /// Blocks verified.
    pub blocks: u64,
    /// Damage: checksums that do not match, records that do not decode.
    pub damage: Vec<CheckIssue>,
    /// Expected after a crash and repaired on the next start (torn tails of
    /// files being written), or harmless leftovers.
    pub warnings: Vec<CheckIssue>,
}

impl CheckReport {
    /// True when no damage was found.
    pub fn is_ok(&self) -> bool {
        self.damage.is_empty()
    }

    fn damage(&mut self, path: &Path, offset: u64, message: impl ToString) {
        self.damage.push(CheckIssue {
            path: path.to_path_buf(),
            offset,
            message: message.to_string(),
        });
    }

    fn warn(&mut self, path: &Path, offset: u64, message: impl ToString) {
        self.warnings.push(CheckIssue {
            path: path.to_path_buf(),
            offset,
            message: message.to_string(),
        });
    }
}

/// The report as `kindling check` prints it: one line per finding, then
/// totals.
impl std::fmt::Display for CheckReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (kind, list) in [("DAMAGE", &self.damage), ("warning", &self.warnings)] {
            for i in list {
                writeln!(
                    f,
                    "{kind}: {} at offset {}: {}",
                    i.path.display(),
                    i.offset,
                    i.message
                )?;
            }
        }
        writeln!(
            f,
            "checked {} files, {} WAL records, {} blocks: {} damaged, {} warnings",
            self.files,
            self.wal_records,
            self.blocks,
            self.damage.len(),
            self.warnings.len()
        )
    }
}

/// Verifies every file of the data directory `dir`.
pub fn check(dir: &Path) -> Result<CheckReport, StoreError> {
    if !dir.is_dir() {
        return Err(StoreError::io(
            "open",
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        ));
    }
    let mut report = CheckReport::default();
    check_wal(&dir.join("wal"), &mut report)?;
    let days = dir.join("days");
    if days.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(&days)
            .map_err(|e| StoreError::io("read directory", &days, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for d in entries {
            let name = d.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if d.is_dir() && parse_day_name(name).is_some() {
                check_day(&d, &mut report)?;
            } else if name == super::retention::CLOSED_FILE {
                report.files += 1;
                let bytes = fs::read(&d).map_err(|e| StoreError::io("read", &d, e))?;
                if let Err(e) = super::retention::parse_closed(&bytes) {
                    report.damage(&d, 0, e);
                }
            } else {
                report.warn(&d, 0, "unexpected entry in days/");
            }
        }
    }
    Ok(report)
}

fn check_wal(dir: &Path, report: &mut CheckReport) -> Result<(), StoreError> {
    let segments = list_segments(dir)?;
    let last = segments.len().saturating_sub(1);
    let mut dec = RecordDecoder::new();
    let mut rec = WalRecord::default();
    for (i, (_, path)) in segments.iter().enumerate() {
        report.files += 1;
        let map = map_file(path)?;
        if let Err(e) = parse_segment_header(&map) {
            if map.len() < SEGMENT_HEADER_LEN && i == last {
                report.warn(path, 0, format!("incomplete segment header: {e}"));
            } else {
                report.damage(path, 0, e);
            }
            continue;
        }
        for item in FrameScanner::new(&map, SEGMENT_HEADER_LEN, FrameLayout::Wal, true) {
            match item {
                Scanned::Frame { offset, body, .. } => match dec.decode(body, &mut rec) {
                    Ok(()) => report.wal_records += 1,
                    Err(e) => report.damage(path, offset as u64, e),
                },
                Scanned::Damaged { offset, error, .. } => report.damage(path, offset as u64, error),
                Scanned::TornTail { offset } => report.warn(
                    path,
                    offset as u64,
                    "torn tail (truncated on the next start)",
                ),
            }
        }
    }
    Ok(())
}

fn check_data_file(
    path: &Path,
    torn_is_damage: bool,
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    report.files += 1;
    let s = chunk_file::scan(path, true)?;
    for (offset, e) in &s.damaged {
        report.damage(path, *offset, e);
    }
    if let Some(at) = s.torn_at {
        if torn_is_damage {
            report.damage(path, at, "file ends inside a frame");
        } else {
            report.warn(path, at, "torn tail (truncated on the next start)");
        }
    }
    let declared: std::collections::HashSet<u32> = s.streams.iter().map(|(id, _, _)| *id).collect();
    for b in &s.blocks {
        if declared.contains(&b.stream) {
            report.blocks += 1;
        } else {
            report.damage(path, b.loc.offset, "block of an undeclared stream");
        }
    }
    Ok(())
}

fn check_day(dir: &Path, report: &mut CheckReport) -> Result<(), StoreError> {
    let files = classify_day(dir)?;
    for (path, why) in &files.leftovers {
        report.warn(path, 0, format!("{why} (removed on the next start)"));
    }
    for path in &files.unexpected {
        report.warn(path, 0, "unexpected file");
    }
    for (_, path) in &files.live_chunks {
        check_data_file(path, false, report)?;
    }
    let fields = dir.join(FIELDS_FILE);
    if let Ok(raw) = fs::read(&fields) {
        report.files += 1;
        if let Err(e) = DayFields::verify(&raw) {
            report.damage(
                &fields,
                0,
                format!("{e} (the day's streams are read instead)"),
            );
        }
    }
    if let Some(g) = files.committed {
        let index_path = dir.join(g.index_name());
        let data_path = dir.join(g.data_name());
        check_data_file(&data_path, true, report)?;
        report.files += 1;
        let index = match SealedIndex::open(&index_path) {
            Ok(ix) => ix,
            Err(e) => {
                report.damage(&index_path, 0, e);
                return Ok(());
            }
        };
        let data = DataFile::open(&data_path)?;
        let mut dec = BlockDecoder::new();
        let mut buf = Vec::new();
        let mut batch = EntryBatch::new();
        for id in 0..index.stream_count() {
            let res = index.key(id).and_then(|_| index.blocks(id));
            let blocks = match res {
                Ok(b) => b,
                Err(e) => {
                    report.damage(&index_path, 0, format!("stream {id}: {e}"));
                    continue;
                }
            };
            for b in blocks {
                let ok = data
                    .read_block(b.offset, b.len, &mut buf)
                    .and_then(|_| {
                        dec.decode(&buf, &mut batch)
                            .map_err(|e| StoreError::corrupt(&data.path, b.offset, e))
                    })
                    .map(|h| (h.min_ts, h.max_ts, h.entries) == (b.min_ts, b.max_ts, b.entries));
                match ok {
                    Ok(true) => {}
                    Ok(false) => report.damage(
                        &index_path,
                        0,
                        format!(
                            "stream {id}: block at {} disagrees with its index entry",
                            b.offset
                        ),
                    ),
                    Err(e) => report.damage(&data.path, b.offset, format!("indexed block: {e}")),
                }
            }
        }
    }
    Ok(())
}

//! The write-ahead log: numbered segment files of checksummed records, one
//! record per accepted `append`. Writes go to the OS at once; fsync is
//! batched (group commit): one fsync covers every record written before it
//! started, whichever thread asked. Segments are deleted once every entry
//! they hold is durable in chunk files. Layout in `storage-format.md`
//! ("WAL segment").

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::error::{CodecError, StoreError};
use super::frame::{put_frame, FrameHeader, FrameLayout, FrameScanner, Scanned};
use super::fsutil::{create_dir_all, fsync_dir, map_file};
use super::metrics::StoreMetrics;
use super::varint::Reader;

/// Segment file magic.
pub const WAL_MAGIC: [u8; 8] = *b"KNDLWAL\0";
/// Segment format version written by this build.
pub const WAL_VERSION: u32 = 1;
/// Segment header: magic, version, reserved, base sequence, CRC.
pub const SEGMENT_HEADER_LEN: usize = 8 + 4 + 4 + 8 + 4;

/// File name of the segment whose first record has sequence `base`.
pub fn segment_name(base: u64) -> String {
    format!("{base:020}.wal")
}

/// The segment files in `dir`, by base sequence ascending.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StoreError> {
    let mut out = Vec::new();
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(StoreError::io("read directory", dir, e)),
    };
    for e in rd {
        let e = e.map_err(|e| StoreError::io("read directory", dir, e))?;
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(base) = name
            .strip_suffix(".wal")
            .and_then(|b| b.parse::<u64>().ok())
        {
            out.push((base, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn segment_header(base: u64) -> [u8; SEGMENT_HEADER_LEN] {
    let mut h = [0u8; SEGMENT_HEADER_LEN];
    h[..8].copy_from_slice(&WAL_MAGIC);
    h[8..12].copy_from_slice(&WAL_VERSION.to_le_bytes());
    h[16..24].copy_from_slice(&base.to_le_bytes());
    let crc = crc32c::crc32c(&h[..24]);
    h[24..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Parses a segment header, giving its base sequence.
pub fn parse_segment_header(buf: &[u8]) -> Result<u64, CodecError> {
    let mut r = Reader::new(buf);
    let magic = r.array::<8>("WAL segment header")?;
    if magic != WAL_MAGIC {
        return Err(CodecError::Invalid("WAL segment magic"));
    }
    let version = r.u32("WAL segment header")?;
    let _reserved = r.u32("WAL segment header")?;
    let base = r.u64("WAL segment header")?;
    let crc = r.u32("WAL segment header")?;
    if crc != crc32c::crc32c(&buf[..24]) {
        return Err(CodecError::Checksum("WAL segment header"));
    }
    if version != WAL_VERSION {
        return Err(CodecError::Version {
            what: "WAL segment",
            found: version,
        });
    }
    Ok(base)
}

/// What replaying the WAL found.
#[derive(Debug, Default)]
pub struct ReplayOutcome {
    /// Highest sequence number seen (0 when none).
    pub last_seq: u64,
    /// Records handed to the callback.
    pub records: u64,
    /// Damaged records or segments skipped.
    pub damaged: u64,
    /// Torn tails truncated.
    pub torn: u64,
}

/// Reads every segment in order and hands each intact record (sequence,
/// body) to `apply`. A torn tail is truncated away; a damaged record is
/// reported, counted and skipped; a segment whose header is damaged is
/// skipped whole. Records whose sequence does not increase are skipped as
/// damaged.
pub fn replay(
    dir: &Path,
    metrics: &StoreMetrics,
    mut apply: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
) -> Result<ReplayOutcome, StoreError> {
    let mut out = ReplayOutcome::default();
    for (_, path) in list_segments(dir)? {
        let map = map_file(&path)?;
        let base = match parse_segment_header(&map) {
            Ok(b) => b,
            Err(e) if map.len() < SEGMENT_HEADER_LEN => {
                // A segment created but never written: nothing to lose.
                tracing::warn!(file = %path.display(), error = %e, "removing empty WAL segment");
                drop(map);
                fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))?;
                out.torn += 1;
                continue;
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), offset = 0, error = %e, "skipping damaged WAL segment");
                StoreMetrics::add(&metrics.recovery_errors, 1);
                out.damaged += 1;
                continue;
            }
        };
        out.last_seq = out.last_seq.max(base.saturating_sub(1));
        let mut truncate_at = None;
        for item in FrameScanner::new(&map, SEGMENT_HEADER_LEN, FrameLayout::Wal, true) {
            match item {
                Scanned::Frame {
                    offset,
                    header,
                    body,
                } => {
                    if header.seq <= out.last_seq && out.records > 0 {
                        tracing::warn!(file = %path.display(), offset, seq = header.seq, "skipping WAL record with a sequence number out of order");
                        StoreMetrics::add(&metrics.recovery_errors, 1);
                        out.damaged += 1;
                        continue;
                    }
                    apply(header.seq, body)?;
                    out.last_seq = out.last_seq.max(header.seq);
                    out.records += 1;
                }
                Scanned::Damaged { offset, end, error } => {
                    tracing::warn!(file = %path.display(), offset, end, error = %error, "skipping damaged WAL bytes");
                    StoreMetrics::add(&metrics.recovery_errors, 1);
                    out.damaged += 1;
                }
                Scanned::TornTail { offset } => truncate_at = Some(offset),
            }
        }
        drop(map);
        if let Some(offset) = truncate_at {
            tracing::warn!(file = %path.display(), offset, "truncating torn WAL tail");
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| StoreError::io("open", &path, e))?;
            f.set_len(offset as u64)
                .and_then(|_| f.sync_all())
                .map_err(|e| StoreError::io("truncate", &path, e))?;
            out.torn += 1;
        }
    }
    Ok(out)
}

/// The appending side of the WAL.
pub struct Wal {
    dir: PathBuf,
    segment_size: u64,
    writer: Mutex<Writer>,
    sync: Mutex<SyncState>,
    synced: Condvar,
    metrics: Arc<StoreMetrics>,
}

struct Writer {
    file: Arc<File>,
    path: PathBuf,
    base: u64,
    len: u64,
    next_seq: u64,
    /// Bytes written since open, over all segments (positions for sync).
    written: u64,
    /// Older segments, by base ascending.
    closed: Vec<(u64, PathBuf)>,
    /// Set when a failed write could not be undone: the next append starts
    /// a new segment.
    broken: bool,
    buf: Vec<u8>,
}

#[derive(Default)]
struct SyncState {
    synced: u64,
    syncing: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Wal {
    /// Starts a new segment with first sequence `next_seq` after the
    /// `existing` ones (which replay has read).
    pub fn create(
        dir: &Path,
        segment_size: u64,
        next_seq: u64,
        existing: Vec<(u64, PathBuf)>,
        metrics: Arc<StoreMetrics>,
    ) -> Result<Wal, StoreError> {
        create_dir_all(dir)?;
        let (file, path) = new_segment(dir, next_seq, &metrics)?;
        let closed = existing.into_iter().filter(|(_, p)| *p != path).collect();
        Ok(Wal {
            dir: dir.to_path_buf(),
            segment_size,
            writer: Mutex::new(Writer {
                file: Arc::new(file),
                path,
                base: next_seq,
                len: SEGMENT_HEADER_LEN as u64,
                next_seq,
                written: 0,
                closed,
                broken: false,
                buf: Vec::new(),
            }),
            sync: Mutex::new(SyncState::default()),
            synced: Condvar::new(),
            metrics,
        })
    }

    /// Writes one record; returns its sequence number and the write
    /// position to pass to [`Wal::sync_to`]. The record is in the OS when
    /// this returns, not necessarily on disk.
    pub fn append(&self, body: &[u8]) -> Result<(u64, u64), StoreError> {
        let mut w = lock(&self.writer);
        if w.broken || w.len >= self.segment_size {
            self.roll(&mut w)?;
        }
        let seq = w.next_seq;
        let mut buf = std::mem::take(&mut w.buf);
        buf.clear();
        let h = FrameHeader {
            kind: 0,
            flags: 0,
            stream: 0,
            seq,
            len: body.len() as u32,
            body_crc: 0,
        };
        put_frame(&mut buf, FrameLayout::Wal, &h, body);
        let res = (&*w.file).write_all(&buf);
        let n = buf.len() as u64;
        w.buf = buf;
        if let Err(e) = res {
            let undo = w.file.set_len(w.len);
            if undo.is_err() {
                w.broken = true;
            }
            return Err(StoreError::io("write", &w.path, e));
        }
        w.len += n;
        w.written += n;
        w.next_seq += 1;
        StoreMetrics::add(&self.metrics.wal_bytes_written, n);
        StoreMetrics::add(&self.metrics.wal_records_written, 1);
        Ok((seq, w.written))
    }

    /// Closes the active segment (fsynced) and starts the next one.
    fn roll(&self, w: &mut Writer) -> Result<(), StoreError> {
        if !w.broken {
            w.file
                .sync_data()
                .map_err(|e| StoreError::io("fsync", &w.path, e))?;
            StoreMetrics::add(&self.metrics.wal_fsyncs, 1);
        }
        let (file, path) = new_segment(&self.dir, w.next_seq, &self.metrics)?;
        let old = std::mem::replace(&mut w.path, path);
        w.closed.push((w.base, old));
        w.file = Arc::new(file);
        w.base = w.next_seq;
        w.len = SEGMENT_HEADER_LEN as u64;
        w.broken = false;
        let mut s = lock(&self.sync);
        s.synced = s.synced.max(w.written);
        drop(s);
        self.synced.notify_all();
        Ok(())
    }

    /// Sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        lock(&self.writer).next_seq
    }

    /// Returns once every byte up to write position `pos` is fsynced. Callers
    /// arriving while an fsync runs wait for it and share the next one.
    pub fn sync_to(&self, pos: u64) -> Result<(), StoreError> {
        let mut s = lock(&self.sync);
        loop {
            if s.synced >= pos {
                return Ok(());
            }
            if s.syncing {
                s = self.synced.wait(s).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            s.syncing = true;
            drop(s);
            let (file, path, target) = {
                let w = lock(&self.writer);
                (Arc::clone(&w.file), w.path.clone(), w.written)
            };
            let res = file.sync_data();
            StoreMetrics::add(&self.metrics.wal_fsyncs, 1);
            s = lock(&self.sync);
            s.syncing = false;
            if res.is_ok() {
                s.synced = s.synced.max(target);
            }
            self.synced.notify_all();
            res.map_err(|e| StoreError::io("fsync", &path, e))?;
        }
    }

    /// fsyncs everything written so far.
    pub fn sync_all(&self) -> Result<(), StoreError> {
        let pos = lock(&self.writer).written;
        self.sync_to(pos)
    }

    /// True when bytes were written but not yet fsynced.
    pub fn has_unsynced(&self) -> bool {
        let pos = lock(&self.writer).written;
        lock(&self.sync).synced < pos
    }

    /// Deletes every closed segment whose records all have sequence numbers
    /// below `low` (their entries are durable elsewhere). With `roll`, the
    /// active segment is closed first so it can go too. Returns how many
    /// segments were deleted.
    pub fn truncate_before(&self, low: u64, roll: bool) -> Result<usize, StoreError> {
        let mut w = lock(&self.writer);
        if roll && w.next_seq > w.base && low >= w.next_seq {
            self.roll(&mut w)?;
        }
        let mut deleted = 0;
        while let Some((_, path)) = w.closed.first() {
            let next_base = w.closed.get(1).map_or(w.base, |(b, _)| *b);
            if next_base > low {
                break;
            }
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io("remove", path, e)),
            }
            w.closed.remove(0);
            deleted += 1;
        }
        drop(w);
        if deleted > 0 {
            fsync_dir(&self.dir)?;
        }
        Ok(deleted)
    }

    /// Number of segment files (closed and active).
    pub fn segment_count(&self) -> usize {
        lock(&self.writer).closed.len() + 1
    }
}

fn new_segment(
    dir: &Path,
    base: u64,
    metrics: &StoreMetrics,
) -> Result<(File, PathBuf), StoreError> {
    let path = dir.join(segment_name(base));
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::io("create", &path, e))?;
    file.write_all(&segment_header(base))
        .and_then(|_| file.sync_data())
        .map_err(|e| StoreError::io("write", &path, e))?;
    StoreMetrics::add(&metrics.wal_bytes_written, SEGMENT_HEADER_LEN as u64);
    fsync_dir(dir)?;
    Ok((file, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(dir: &Path, m: &StoreMetrics) -> (Vec<(u64, Vec<u8>)>, ReplayOutcome) {
        let mut got = Vec::new();
        let out = replay(dir, m, |seq, body| {
            got.push((seq, body.to_vec()));
            Ok(())
        })
        .unwrap();
        (got, out)
    }

    #[test]
    fn append_roll_replay_truncate() {
        let tmp = tempfile::tempdir().unwrap();
        let m = Arc::new(StoreMetrics::default());
        let wal = Wal::create(tmp.path(), 100, 1, vec![], m.clone()).unwrap();
        for i in 0..10u8 {
            let (seq, pos) = wal.append(&[i; 30]).unwrap();
            assert_eq!(seq, u64::from(i) + 1);
            wal.sync_to(pos).unwrap();
        }
        assert!(wal.segment_count() > 2);
        let (got, out) = collect(tmp.path(), &m);
        assert_eq!(got.len(), 10);
        assert_eq!(out.last_seq, 10);
        assert!(got
            .iter()
            .enumerate()
            .all(|(i, (s, b))| *s == i as u64 + 1 && b[0] == i as u8));
        // Everything below 11 is durable elsewhere: all closed segments go.
        wal.truncate_before(11, true).unwrap();
        assert_eq!(wal.segment_count(), 1);
        assert!(collect(tmp.path(), &m).0.is_empty());
    }

    #[test]
    fn torn_tail_is_truncated_and_damage_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let m = Arc::new(StoreMetrics::default());
        let wal = Wal::create(tmp.path(), 1 << 20, 5, vec![], m.clone()).unwrap();
        for i in 0..3u8 {
            wal.append(&[i; 10]).unwrap();
        }
        drop(wal);
        let path = tmp.path().join(segment_name(5));
        let mut bytes = fs::read(&path).unwrap();
        let full = bytes.len();
        bytes.truncate(full - 3);
        fs::write(&path, &bytes).unwrap();
        let (got, out) = collect(tmp.path(), &m);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [5, 6]);
        assert_eq!(out.torn, 1);
        assert_eq!(fs::metadata(&path).unwrap().len() as usize, full - 30);
        // Flip a body byte of the first record: it is skipped and counted.
        let mut bytes = fs::read(&path).unwrap();
        bytes[SEGMENT_HEADER_LEN + 20] ^= 1;
        fs::write(&path, &bytes).unwrap();
        let (got, out) = collect(tmp.path(), &m);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [6]);
        assert_eq!(out.damaged, 1);
        assert_eq!(StoreMetrics::get(&m.recovery_errors), 1);
    }

    #[test]
    fn one_fsync_covers_everything_written_before_it() {
        let tmp = tempfile::tempdir().unwrap();
        let m = Arc::new(StoreMetrics::default());
        let wal = Wal::create(tmp.path(), 1 << 20, 1, vec![], m.clone()).unwrap();
        let (_, p1) = wal.append(b"one").unwrap();
        let (_, p2) = wal.append(b"two").unwrap();
        assert!(wal.has_unsynced());
        wal.sync_to(p1).unwrap();
        assert_eq!(StoreMetrics::get(&m.wal_fsyncs), 1);
        wal.sync_to(p2).unwrap();
        assert_eq!(
            StoreMetrics::get(&m.wal_fsyncs),
            1,
            "the first fsync covered both"
        );
        assert!(!wal.has_unsynced());
    }

    #[test]
    fn concurrent_appenders_share_fsyncs() {
        let tmp = tempfile::tempdir().unwrap();
        let m = Arc::new(StoreMetrics::default());
        let wal = Arc::new(Wal::create(tmp.path(), 1 << 30, 1, vec![], m.clone()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let wal = wal.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let (_, pos) = wal.append(&[7; 100]).unwrap();
                        wal.sync_to(pos).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(collect(tmp.path(), &m).0.len(), 400);
        assert!(StoreMetrics::get(&m.wal_fsyncs) <= 401);
    }
}

//! Record framing shared by WAL segments and chunk files: every record is a
//! fixed header protected by its own CRC32C followed by a body protected by
//! a second CRC32C. The header CRC lets a reader that lost its place (after a
//! damaged record) find the next record by scanning forward, and tells a torn
//! tail from a damaged middle.
//!
//! Layouts are specified in `storage-format.md` ("Frames").

use super::error::CodecError;
use super::varint::Reader;

/// Largest body a frame may declare (1 GiB).
pub const MAX_BODY: u32 = 1 << 30;

/// A frame's header fields, common to both file kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Record kind (chunk files) or 0 (WAL).
    pub kind: u8,
    /// Flag bits (chunk files) or 0 (WAL).
    pub flags: u8,
    /// Stream id (chunk files) or 0 (WAL).
    pub stream: u32,
    /// WAL sequence number, or a block's order key.
    pub seq: u64,
    /// Body length.
    pub len: u32,
    /// CRC32C of the body.
    pub body_crc: u32,
}

/// Header length of a chunk-file frame.
pub const CHUNK_FRAME_HEADER: usize = 28;
/// Header length of a WAL frame.
pub const WAL_FRAME_HEADER: usize = 20;

/// Which of the two header layouts a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameLayout {
    /// `kind, flags, 2 reserved, stream u32, seq u64, len u32, body_crc u32, header_crc u32`.
    Chunk,
    /// `seq u64, len u32, body_crc u32, header_crc u32`.
    Wal,
}

impl FrameLayout {
    /// Header length in bytes.
    pub fn header_len(self) -> usize {
        match self {
            FrameLayout::Chunk => CHUNK_FRAME_HEADER,
            FrameLayout::Wal => WAL_FRAME_HEADER,
        }
    }
}

/// Appends a frame (header and body) to `out`.
pub fn put_frame(out: &mut Vec<u8>, layout: FrameLayout, h: &FrameHeader, body: &[u8]) {
    let start = out.len();
    let body_crc = crc32c::crc32c(body);
    match layout {
        FrameLayout::Chunk => {
            out.push(h.kind);
            out.push(h.flags);
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&h.stream.to_le_bytes());
            out.extend_from_slice(&h.seq.to_le_bytes());
        }
        FrameLayout::Wal => out.extend_from_slice(&h.seq.to_le_bytes()),
    }
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body_crc.to_le_bytes());
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(body);
}

/// Parses and checks a frame header at the start of `buf`.
pub fn parse_header(buf: &[u8], layout: FrameLayout) -> Result<FrameHeader, CodecError> {
    let n = layout.header_len();
    let head = buf.get(..n).ok_or(CodecError::Truncated("frame header"))?;
    let mut r = Reader::new(head);
    let (kind, flags, stream, seq) = match layout {
        FrameLayout::Chunk => {
            let kind = r.u8("frame header")?;
            let flags = r.u8("frame header")?;
            let reserved = r.bytes(2, "frame header")?;
            let stream = r.u32("frame header")?;
            let seq = r.u64("frame header")?;
            if reserved != [0, 0] {
                return Err(CodecError::Invalid("frame header"));
            }
            (kind, flags, stream, seq)
        }
        FrameLayout::Wal => (0, 0, 0, r.u64("frame header")?),
    };
    let len = r.u32("frame header")?;
    let body_crc = r.u32("frame header")?;
    let crc = r.u32("frame header")?;
    if crc != crc32c::crc32c(&head[..n - 4]) {
        return Err(CodecError::Checksum("frame header"));
    }
    if len > MAX_BODY {
        return Err(CodecError::Invalid("frame length"));
    }
    Ok(FrameHeader {
        kind,
        flags,
        stream,
        seq,
        len,
        body_crc,
    })
}

/// One step of scanning a file's frames.
#[derive(Debug)]
pub enum Scanned<'a> {
    /// A frame whose header checks out. `body` is `None` when the scan was
    /// told not to read bodies; otherwise the body passed its CRC.
    Frame {
        /// Offset of the frame header in the buffer.
        offset: usize,
        /// The header.
        header: FrameHeader,
        /// The body bytes.
        body: &'a [u8],
    },
    /// Damaged bytes from `offset` to `end` were skipped; `error` says why
    /// the first frame there was rejected.
    Damaged {
        /// First damaged byte.
        offset: usize,
        /// Where the next good frame starts (or the end of the buffer).
        end: usize,
        /// What was wrong.
        error: CodecError,
    },
    /// The buffer ends inside a frame that never completed (a torn write):
    /// nothing after `offset` is usable.
    TornTail {
        /// Offset of the incomplete frame.
        offset: usize,
    },
}

/// Iterates the frames of `buf[start..]`. With `check_bodies` every body CRC
/// is verified (the WAL, `check`); without, only headers are (opening chunk
/// files, whose block bodies carry their own CRCs and are verified on read).
pub struct FrameScanner<'a> {
    buf: &'a [u8],
    pos: usize,
    layout: FrameLayout,
    check_bodies: bool,
}

impl<'a> FrameScanner<'a> {
    /// Starts scanning at `start`.
    pub fn new(buf: &'a [u8], start: usize, layout: FrameLayout, check_bodies: bool) -> Self {
        FrameScanner {
            buf,
            pos: start,
            layout,
            check_bodies,
        }
    }

    /// Checks the frame at `at`; `Ok(None)` means it runs past the end.
    fn frame_at(&self, at: usize) -> Result<Option<(FrameHeader, &'a [u8])>, CodecError> {
        let rest = &self.buf[at..];
        if rest.len() < self.layout.header_len() {
            return Ok(None);
        }
        let h = parse_header(rest, self.layout)?;
        let start = self.layout.header_len();
        let Some(body) = rest.get(start..start + h.len as usize) else {
            return Ok(None);
        };
        if self.check_bodies && crc32c::crc32c(body) != h.body_crc {
            return Err(CodecError::Checksum("frame body"));
        }
        Ok(Some((h, body)))
    }

    /// The next position at or after `from` where a complete, valid frame
    /// starts, if any.
    fn resync(&self, from: usize) -> Option<usize> {
        (from..self.buf.len()).find(|&p| matches!(self.frame_at(p), Ok(Some(_))))
    }
}

impl<'a> Iterator for FrameScanner<'a> {
    type Item = Scanned<'a>;

    fn next(&mut self) -> Option<Scanned<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let at = self.pos;
        match self.frame_at(at) {
            Ok(Some((header, body))) => {
                self.pos = at + self.layout.header_len() + body.len();
                Some(Scanned::Frame {
                    offset: at,
                    header,
                    body,
                })
            }
            Ok(None) => {
                // Incomplete at the end; a valid frame later would mean the
                // length field is damaged rather than the write torn.
                match self.resync(at + 1) {
                    Some(next) => {
                        self.pos = next;
                        Some(Scanned::Damaged {
                            offset: at,
                            end: next,
                            error: CodecError::Invalid("frame length"),
                        })
                    }
                    None => {
                        self.pos = self.buf.len();
                        Some(Scanned::TornTail { offset: at })
                    }
                }
            }
            Err(CodecError::Checksum("frame body")) => {
                // The header checked out, so its length can be trusted: the
                // body is damaged in place (a flipped bit, not a torn write,
                // which would end the file inside the frame).
                let len = parse_header(&self.buf[at..], self.layout).map_or(0, |h| h.len as usize);
                let end = (at + self.layout.header_len() + len).min(self.buf.len());
                self.pos = end;
                Some(Scanned::Damaged {
                    offset: at,
                    end,
                    error: CodecError::Checksum("frame body"),
                })
            }
            Err(error) => match self.resync(at + 1) {
                Some(next) => {
                    self.pos = next;
                    Some(Scanned::Damaged {
                        offset: at,
                        end: next,
                        error,
                    })
                }
                None => {
                    self.pos = self.buf.len();
                    Some(Scanned::TornTail { offset: at })
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frames(layout: FrameLayout, bodies: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, b) in bodies.iter().enumerate() {
            let h = FrameHeader {
                kind: 2,
                flags: 0,
                stream: 7,
                seq: i as u64 + 1,
                len: b.len() as u32,
                body_crc: 0,
            };
            let h = if layout == FrameLayout::Wal {
                FrameHeader {
                    kind: 0,
                    stream: 0,
                    ..h
                }
            } else {
                h
            };
            put_frame(&mut out, layout, &h, b);
        }
        out
    }

    fn summary(buf: &[u8], layout: FrameLayout) -> Vec<String> {
        FrameScanner::new(buf, 0, layout, true)
            .map(|s| match s {
                Scanned::Frame { header, body, .. } => {
                    format!("{}:{}", header.seq, String::from_utf8_lossy(body))
                }
                Scanned::Damaged { offset, end, .. } => format!("damaged {offset}..{end}"),
                Scanned::TornTail { offset } => format!("torn {offset}"),
            })
            .collect()
    }

    #[test]
    fn scans_clean_torn_and_damaged_files() {
        for layout in [FrameLayout::Chunk, FrameLayout::Wal] {
            let h = layout.header_len();
            let buf = frames(layout, &[b"one", b"two", b"three"]);
            assert_eq!(summary(&buf, layout), ["1:one", "2:two", "3:three"]);
            // Torn tail: the last frame is cut short.
            let torn = &buf[..buf.len() - 2];
            assert_eq!(
                summary(torn, layout),
                [
                    "1:one".to_string(),
                    "2:two".into(),
                    format!("torn {}", 2 * h + 6)
                ]
            );
            // A flipped byte in the middle frame's body: skipped, the rest read.
            let mut bad = buf.clone();
            bad[h + 3 + h] ^= 1;
            assert_eq!(
                summary(&bad, layout),
                [
                    "1:one".to_string(),
                    format!("damaged {}..{}", h + 3, 2 * h + 6),
                    "3:three".into()
                ]
            );
            // A flipped byte in the last frame's body is damage, not a torn
            // write: the frame is complete.
            let mut bad = buf.clone();
            let n = bad.len();
            bad[n - 1] ^= 1;
            assert_eq!(
                summary(&bad, layout)[2],
                format!("damaged {}..{}", 2 * h + 6, n)
            );
            // A flipped length byte in the first header.
            let mut bad = buf.clone();
            bad[h - 12] ^= 0x40;
            assert_eq!(summary(&bad, layout)[1..], ["2:two", "3:three"]);
        }
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
            for layout in [FrameLayout::Chunk, FrameLayout::Wal] {
                let n = FrameScanner::new(&buf, 0, layout, true).take(1000).count();
                prop_assert!(n <= buf.len());
            }
        }

        #[test]
        fn frames_round_trip(bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..50), 0..10)) {
            let refs: Vec<&[u8]> = bodies.iter().map(|b| b.as_slice()).collect();
            let buf = frames(FrameLayout::Chunk, &refs);
            let got: Vec<&[u8]> = FrameScanner::new(&buf, 0, FrameLayout::Chunk, true)
                .filter_map(|s| match s { Scanned::Frame { body, .. } => Some(body), _ => None })
                .collect();
            prop_assert_eq!(got, refs);
        }
    }
}

//! gzip for the event stream, compressed once per feed and shared by every subscriber.
//!
//! A browser's `EventSource` accepts `Content-Encoding: gzip` and decodes as bytes arrive, so the
//! stream can be compressed as long as every event is flushed to a byte boundary when it is sent
//! (a deflate *sync flush*). Compressing per subscriber would cost one deflate state each
//! (~256 KiB with zlib's defaults; 10,000 subscribers = 2.5 GiB) and 10,000 compressions per
//! event. Instead every frame is compressed by the feed, in two ways:
//!
//! * **solo**: with a fresh compressor, so the bytes reference nothing before them. Valid at any
//!   point of any subscriber's stream: snapshots, resumes, keep-alives, and events for
//!   subscribers that have not joined the shared stream yet;
//! * **chained**: by the feed's one long-lived compressor, which sees every event in order, so an
//!   event is mostly back-references to the previous one (consecutive updates differ in a few
//!   digits). Only valid for a subscriber that received every chained frame since the last
//!   **join point**: every `join_every` frames the chained compressor is reset, so the frame
//!   after it references nothing earlier (its chained bytes are its solo bytes). A subscriber
//!   starts with solo frames and switches to the chained ones at the first join point.
//!
//! A subscriber's body is the gzip header, then these raw deflate segments, each ending on a
//! byte boundary with no final block: any concatenation of them is one valid deflate stream. When
//! the stream ends (server shutdown, end of the session) it gets an empty final block and the
//! gzip trailer, from a CRC-32 each subscriber keeps of what it was sent (a few bytes, and a
//! CRC over each frame's plain bytes, ~0.1 µs per KiB), so clients see a complete gzip body.
//!
//! Per subscriber this costs one flag (joined or not); per feed one compressor and, per event, a
//! second compression (solo) next to the chained one.

use std::sync::OnceLock;

use axum::body::Bytes;
use flate2::{Compress, Compression, FlushCompress};

/// gzip member header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
pub const HEADER: &[u8] = &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// An empty final deflate block (fixed Huffman codes): appended after a byte boundary, it ends
/// the deflate stream (see [`Subscription::finish`](super::Subscription::finish)).
pub const FINAL_BLOCK: &[u8] = &[0x03, 0x00];

/// zlib level 6 (the usual default): level 9 gains ~2 % on these events for twice the time.
const LEVEL: u32 = 6;

/// A frame's compressed forms.
#[derive(Debug, Clone, Default)]
pub struct GzFrame {
    /// Compressed alone: valid anywhere in a stream.
    pub solo: Bytes,
    /// Compressed by the feed's chained compressor: valid after every chained frame since the
    /// last join point.
    pub chained: Bytes,
    /// The chained compressor was reset before this frame: a subscriber may switch to the
    /// chained frames here (and `chained` is the same bytes as `solo`).
    pub join: bool,
}

/// Compresses `data` alone (a fresh compressor), ending on a byte boundary.
pub fn solo(data: &[u8]) -> Bytes {
    let mut c = Compress::new(Compression::new(LEVEL), false);
    Bytes::from(deflate(&mut c, data))
}

/// The feed's chained compressor.
pub struct Chain {
    c: Compress,
    join_every: u32,
    /// Frames since the last reset.
    since_join: u32,
}

impl Chain {
    pub fn new(join_every: u32) -> Chain {
        Chain {
            c: Compress::new(Compression::new(LEVEL), false),
            join_every: join_every.max(1),
            // The first frame is a join point.
            since_join: u32::MAX,
        }
    }

    /// Both compressed forms of the next frame of the feed. Frames must be passed in the order
    /// they are broadcast.
    pub fn frame(&mut self, data: &[u8]) -> GzFrame {
        if self.since_join >= self.join_every {
            self.c.reset();
            self.since_join = 1;
            let b = Bytes::from(deflate(&mut self.c, data));
            return GzFrame {
                solo: b.clone(),
                chained: b,
                join: true,
            };
        }
        self.since_join += 1;
        let chained = Bytes::from(deflate(&mut self.c, data));
        GzFrame {
            solo: solo(data),
            chained,
            join: false,
        }
    }
}

/// Runs `data` through `c` and sync-flushes: the output ends on a byte boundary, without a final
/// block, so the decoder can emit all of `data` now and more segments may follow.
fn deflate(c: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    let start = c.total_in();
    loop {
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(256));
        }
        let done = usize::try_from(c.total_in() - start).unwrap_or(data.len());
        // In-memory compression with valid parameters has no failure mode; should one appear,
        // stop rather than loop (the stream would then fail to decode and the browser reconnect).
        if c.compress_vec(&data[done..], &mut out, FlushCompress::Sync)
            .is_err()
        {
            break;
        }
        let done = usize::try_from(c.total_in() - start).unwrap_or(data.len());
        // The flush is complete when the compressor stopped with output space to spare.
        if done >= data.len() && out.len() < out.capacity() {
            break;
        }
    }
    out
}

/// A static frame compressed alone, computed once.
pub fn solo_static(cell: &'static OnceLock<Bytes>, data: &'static [u8]) -> Bytes {
    cell.get_or_init(|| solo(data)).clone()
}

/// Whether an `Accept-Encoding` value accepts gzip (`gzip`, `x-gzip` or `*`, not with `q=0`).
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    let mut star = false;
    let mut gzip = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q_zero = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=")
                .or_else(|| p.strip_prefix("Q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(!q_zero),
            "*" => star = !q_zero,
            _ => {}
        }
    }
    gzip.unwrap_or(star)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gunzip(parts: &[&[u8]]) -> Vec<u8> {
        let mut all = HEADER.to_vec();
        for p in parts {
            all.extend_from_slice(p);
        }
        // No trailer: read what decodes, as a browser does with a stream in progress.
        let mut d = flate2::read::GzDecoder::new(&all[..]);
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match d.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
        out
    }

    #[test]
    fn solo_and_chained_segments_concatenate_into_one_stream() {
        let events: Vec<String> = (0..20)
            .map(|i| {
                format!(
                    "id: {i}\nevent: update\ndata: {{\"qps\":{},\"name\":\"proxy-1\"}}\n\n",
                    i * 7
                )
            })
            .collect();
        let mut chain = Chain::new(8);
        let frames: Vec<GzFrame> = events.iter().map(|e| chain.frame(e.as_bytes())).collect();
        assert!(frames[0].join && frames[8].join && frames[16].join);
        assert!(!frames[1].join);
        // A subscriber that starts at frame 3: solo until the join point at 8, then chained.
        let mut parts: Vec<&[u8]> = vec![];
        let mut joined = false;
        for f in &frames[3..] {
            joined |= f.join;
            parts.push(if joined { &f.chained } else { &f.solo });
        }
        let expect: String = events[3..].concat();
        assert_eq!(String::from_utf8(gunzip(&parts)).unwrap(), expect);
        // Chained frames are smaller than solo ones once the compressor has history.
        assert!(frames[5].chained.len() < frames[5].solo.len());
    }

    #[test]
    fn each_segment_decodes_as_soon_as_it_arrives() {
        let mut chain = Chain::new(4);
        let a = chain.frame(b"event: a\ndata: 1\n\n");
        let b = chain.frame(b"event: b\ndata: 2\n\n");
        assert_eq!(gunzip(&[&a.chained]), b"event: a\ndata: 1\n\n");
        assert_eq!(
            gunzip(&[&a.chained, &b.chained]),
            b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\n"
        );
    }

    #[test]
    fn the_final_block_and_trailer_make_a_complete_gzip_body() {
        let events = [
            "retry: 2000\n\n",
            "event: a\ndata: 1\n\n",
            "event: b\ndata: 2\n\n",
        ];
        let mut chain = Chain::new(4);
        let mut body = HEADER.to_vec();
        let mut crc = flate2::Crc::new();
        for e in events {
            body.extend_from_slice(&chain.frame(e.as_bytes()).chained);
            crc.update(e.as_bytes());
        }
        body.extend_from_slice(FINAL_BLOCK);
        body.extend_from_slice(&crc.sum().to_le_bytes());
        body.extend_from_slice(&crc.amount().to_le_bytes());
        // Strict: read_to_end fails on a missing trailer or a wrong checksum.
        let mut out = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut out)
            .expect("a complete gzip body");
        assert_eq!(out, events.concat());
        // A wrong checksum is caught, so the test above checks the real one.
        let n = body.len();
        body[n - 8] ^= 1;
        let mut out = String::new();
        assert!(flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut out)
            .is_err());
    }

    #[test]
    fn accept_encoding() {
        assert!(accepts_gzip("gzip, deflate, br, zstd"));
        assert!(accepts_gzip("deflate, GZIP;q=0.5"));
        assert!(accepts_gzip("*"));
        assert!(!accepts_gzip("gzip;q=0, *"));
        assert!(!accepts_gzip("br, deflate"));
        assert!(!accepts_gzip(""));
        assert!(!accepts_gzip("identity"));
    }
}

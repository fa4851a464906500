//! Transport compression of server frames (protocol.md §1.1): one zlib stream or one zstd
//! stream per connection, flushed (never finished) after every message so each WebSocket
//! message can be decoded as soon as it arrives.

use flate2::{Compress, Compression, FlushCompress};

/// The `compress` query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// Plain JSON text frames.
    None,
    /// `zlib-stream`: one deflate context, `Z_SYNC_FLUSH` after each message (ends `00 00 ff ff`).
    Zlib,
    /// `zstd-stream`: one zstd frame for the whole connection, flushed after each message.
    Zstd,
}

impl Transport {
    /// Parses the query value; unknown values are an error (the caller closes with 4002... or
    /// rather refuses the upgrade).
    pub fn from_query(value: Option<&str>) -> Option<Self> {
        match value {
            None | Some("") => Some(Self::None),
            Some("zlib-stream") => Some(Self::Zlib),
            Some("zstd-stream") => Some(Self::Zstd),
            Some(_) => None,
        }
    }
}

/// Why a frame could not be compressed (a library failure; the connection is closed).
#[derive(Debug, thiserror::Error)]
#[error("compression failed: {0}")]
pub struct CompressError(String);

/// The compressor of one connection.
#[non_exhaustive]
pub enum Compressor {
    /// No compression.
    None,
    /// zlib-stream.
    Zlib(Box<Compress>),
    /// zstd-stream.
    Zstd(Box<zstd::stream::raw::Encoder<'static>>),
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "Compressor::None",
            Self::Zlib(_) => "Compressor::Zlib",
            Self::Zstd(_) => "Compressor::Zstd",
        })
    }
}

/// zstd level: fast, as Discord's stream is latency-bound, not size-bound.
const ZSTD_LEVEL: i32 = 3;

impl Compressor {
    /// A fresh context for `transport`.
    pub fn new(transport: Transport) -> Result<Self, CompressError> {
        Ok(match transport {
            Transport::None => Self::None,
            Transport::Zlib => Self::Zlib(Box::new(Compress::new(Compression::default(), true))),
            Transport::Zstd => Self::Zstd(Box::new(
                zstd::stream::raw::Encoder::new(ZSTD_LEVEL).map_err(|e| CompressError(e.to_string()))?,
            )),
        })
    }

    /// Whether frames go out as binary (compressed) messages.
    pub fn is_binary(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// Compresses one whole gateway message and flushes, so the output decodes on its own
    /// given the previous ones. `None` returns the input unchanged.
    pub fn compress(&mut self, frame: Vec<u8>) -> Result<Vec<u8>, CompressError> {
        match self {
            Self::None => Ok(frame),
            Self::Zlib(z) => {
                let mut out = Vec::with_capacity(frame.len() / 2 + 64);
                let mut input = frame.as_slice();
                loop {
                    let before = z.total_in();
                    let status = z.compress_vec(input, &mut out, FlushCompress::Sync);
                    status.map_err(|e| CompressError(e.to_string()))?;
                    let consumed = usize::try_from(z.total_in() - before).unwrap_or(input.len());
                    input = &input[consumed.min(input.len())..];
                    // Done when all input is in and the sync marker made it out (spare room left).
                    if input.is_empty() && out.len() < out.capacity() {
                        return Ok(out);
                    }
                    out.reserve(out.capacity().max(64));
                }
            }
            Self::Zstd(z) => {
                use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
                let mut out = vec![0u8; zstd::zstd_safe::compress_bound(frame.len()) + 64];
                let mut written = 0;
                let mut input = InBuffer::around(&frame);
                while input.pos() < frame.len() {
                    let mut output = OutBuffer::around_pos(&mut out, written);
                    z.run(&mut input, &mut output).map_err(|e| CompressError(e.to_string()))?;
                    written = output.pos();
                    if written == out.len() {
                        out.resize(out.len() * 2, 0);
                    }
                }
                loop {
                    let mut output = OutBuffer::around_pos(&mut out, written);
                    let remaining = z.flush(&mut output).map_err(|e| CompressError(e.to_string()))?;
                    written = output.pos();
                    if remaining == 0 {
                        break;
                    }
                    out.resize(out.len() * 2, 0);
                }
                out.truncate(written);
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::io::Read;

    use super::*;

    fn frames() -> Vec<Vec<u8>> {
        let big: String = (0..5000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        vec![
            br#"{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}"#.to_vec(),
            format!(r#"{{"op":0,"s":1,"t":"X","d":"{big}"}}"#).into_bytes(),
            br#"{"op":11,"d":null,"s":null,"t":null}"#.to_vec(),
        ]
    }

    #[test]
    fn zlib_stream_messages_end_with_sync_marker_and_inflate_in_one_context() {
        let mut c = Compressor::new(Transport::Zlib).unwrap();
        assert!(c.is_binary());
        let mut inflater = flate2::Decompress::new(true);
        for frame in frames() {
            let bytes = c.compress(frame.clone()).unwrap();
            assert!(bytes.ends_with(&[0, 0, 0xff, 0xff]), "sync flush marker");
            let mut out = Vec::with_capacity(frame.len() + 100);
            inflater.decompress_vec(&bytes, &mut out, flate2::FlushDecompress::Sync).unwrap();
            assert_eq!(out, frame);
        }
    }

    #[test]
    fn zstd_stream_messages_decode_one_by_one_without_frame_end() {
        let mut c = Compressor::new(Transport::Zstd).unwrap();
        let mut d = zstd::stream::raw::Decoder::new().unwrap();
        for frame in frames() {
            let bytes = c.compress(frame.clone()).unwrap();
            use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
            let mut out = vec![0u8; frame.len() + 100];
            let mut input = InBuffer::around(&bytes);
            let mut output = OutBuffer::around(&mut out);
            while input.pos() < bytes.len() {
                d.run(&mut input, &mut output).unwrap();
            }
            let n = output.pos();
            assert_eq!(&out[..n], frame.as_slice());
        }
        // The concatenation is one unfinished zstd frame: a one-shot decoder sees it as truncated.
        let mut c = Compressor::new(Transport::Zstd).unwrap();
        let all: Vec<u8> = frames().into_iter().flat_map(|f| c.compress(f).unwrap()).collect();
        let mut buf = Vec::new();
        assert!(zstd::stream::read::Decoder::new(all.as_slice()).unwrap().read_to_end(&mut buf).is_err());
    }

    #[test]
    fn none_passes_through_and_unknown_names_are_refused() {
        let mut c = Compressor::new(Transport::None).unwrap();
        assert!(!c.is_binary());
        assert_eq!(c.compress(b"abc".to_vec()).unwrap(), b"abc");
        assert_eq!(Transport::from_query(Some("zlib-stream")), Some(Transport::Zlib));
        assert_eq!(Transport::from_query(Some("zstd-stream")), Some(Transport::Zstd));
        assert_eq!(Transport::from_query(None), Some(Transport::None));
        assert_eq!(Transport::from_query(Some("gzip")), None);
    }
}

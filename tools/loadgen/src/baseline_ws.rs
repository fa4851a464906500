//! `loadgen baseline-ws` (hidden; a child process of `gateway-fanout`): the physical baseline
//! for fan-out. A bare tokio-tungstenite broadcast server that speaks just enough of the gateway
//! for the same client code (HELLO, READY on IDENTIFY, ACK on heartbeat) and, for each index
//! written as a line to its control socket, sends every socket one frame of `--size` bytes
//! (the size of guildhall's MESSAGE_CREATE) carrying that index, compressed per connection
//! like the gateway when asked. Nothing else: no store, no permissions, no sequencing.
//!
//! First stdout line: `<websocket addr> <control addr>`.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncBufReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::gateway_client::{Compress, find};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Uncompressed frame size in bytes.
    #[arg(long, default_value_t = 700)]
    size: usize,
    #[arg(long, value_enum, default_value_t = Compress::None)]
    compress: Compress,
}

const HELLO: &str = r#"{"op":10,"d":{"heartbeat_interval":41250},"s":null,"t":null}"#;
const READY: &str = r#"{"op":0,"s":1,"t":"READY","d":{"guilds":[]}}"#;
const ACK: &str = r#"{"op":11,"d":null,"s":null,"t":null}"#;

/// The frame for message `index`, padded to `size` bytes.
fn frame(index: u64, size: usize) -> Vec<u8> {
    let head = format!(r#"{{"op":0,"s":2,"t":"MESSAGE_CREATE","d":{{"content":"lg:{index};","pad":""#);
    let tail = "\"}}";
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(head.as_bytes());
    out.resize(head.len() + pad, b'x');
    out.extend_from_slice(tail.as_bytes());
    out
}

pub(crate) async fn serve(args: Args) -> anyhow::Result<()> {
    let ws = TcpListener::bind("127.0.0.1:0").await?;
    let control = TcpListener::bind("127.0.0.1:0").await?;
    println!("{} {}", ws.local_addr()?, control.local_addr()?);
    let (tx, _) = broadcast::channel::<Arc<Vec<u8>>>(4096);
    let size = args.size;
    let trigger = tx.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = control.accept().await {
            let trigger = trigger.clone();
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(index) = line.trim().parse() {
                        let _ = trigger.send(Arc::new(frame(index, size)));
                    }
                }
            });
        }
    });
    loop {
        let (stream, _) = ws.accept().await?;
        let _ = stream.set_nodelay(true);
        let rx = tx.subscribe();
        let compress = args.compress;
        tokio::spawn(async move {
            let _ = connection(stream, rx, compress).await;
        });
    }
}

async fn connection(
    stream: TcpStream,
    mut rx: broadcast::Receiver<Arc<Vec<u8>>>,
    compress: Compress,
) -> anyhow::Result<()> {
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let mut ws = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await?;
    let mut deflater = Deflater::new(compress)?;
    ws.send(deflater.message(HELLO.as_bytes())?).await?;
    loop {
        tokio::select! {
            message = ws.next() => {
                let Some(Ok(message)) = message else { return Ok(()) };
                let bytes = match &message {
                    Message::Text(t) => t.as_bytes(),
                    Message::Binary(b) => b,
                    Message::Close(_) => return Ok(()),
                    _ => continue,
                };
                if find(bytes, b"\"op\":2").is_some() {
                    ws.send(deflater.message(READY.as_bytes())?).await?;
                } else if find(bytes, b"\"op\":1").is_some() {
                    ws.send(deflater.message(ACK.as_bytes())?).await?;
                }
            }
            frame = rx.recv() => {
                let frame = match frame {
                    Ok(f) => f,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                };
                ws.feed(deflater.message(&frame)?).await?;
                // Whatever else is already queued goes out in the same write.
                while let Ok(frame) = rx.try_recv() {
                    ws.feed(deflater.message(&frame)?).await?;
                }
                ws.flush().await?;
            }
        }
    }
}

/// One connection's compressor (zlib sync-flushed / zstd flushed per message, as the gateway).
enum Deflater {
    None,
    Zlib(Box<flate2::Compress>),
    Zstd(Box<zstd::stream::raw::Encoder<'static>>),
}

impl Deflater {
    fn new(compress: Compress) -> anyhow::Result<Self> {
        Ok(match compress {
            Compress::None => Self::None,
            Compress::ZlibStream => Self::Zlib(Box::new(flate2::Compress::new(flate2::Compression::default(), true))),
            Compress::ZstdStream => Self::Zstd(Box::new(zstd::stream::raw::Encoder::new(3)?)),
        })
    }

    fn message(&mut self, json: &[u8]) -> anyhow::Result<Message> {
        Ok(match self {
            Self::None => Message::text(String::from_utf8(json.to_vec())?),
            Self::Zlib(z) => {
                let mut out = Vec::with_capacity(json.len() + 64);
                let before = z.total_in();
                z.compress_vec(json, &mut out, flate2::FlushCompress::Sync)?;
                anyhow::ensure!(z.total_in() - before == json.len() as u64, "zlib output buffer too small");
                Message::binary(out)
            }
            Self::Zstd(z) => {
                use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
                let mut out = vec![0u8; zstd::zstd_safe::compress_bound(json.len()) + 64];
                let mut input = InBuffer::around(json);
                let mut output = OutBuffer::around(out.as_mut_slice());
                z.run(&mut input, &mut output)?;
                while z.flush(&mut output)? > 0 {}
                let written = output.pos();
                anyhow::ensure!(input.pos() == json.len(), "zstd input not consumed");
                out.truncate(written);
                Message::binary(out)
            }
        })
    }
}

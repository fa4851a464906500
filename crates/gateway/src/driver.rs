//! The thin tokio/axum driver: one task per WebSocket connection that feeds frames and time
//! into the [`Connection`] state machine, carries out what it asks for, and writes the session's
//! dispatches (compressed per connection) as they are queued.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use futures_util::SinkExt;
use serde::Deserialize;

use crate::compress::{Compressor, Transport};
use crate::connection::{Close, Connection, Output};
use crate::hub::{Hub, ResumeFailure};
use crate::protocol::{self, CloseCode};
use crate::start::{self, Started};

/// The gateway routes: `/gateway` and `/gateway/` (clients append `/?v=…` or `?v=…`).
pub fn routes(hub: Arc<Hub>) -> Router {
    Router::new().route("/gateway", get(upgrade)).route("/gateway/", get(upgrade)).with_state(hub)
}

/// The connect query (protocol.md §1.1).
#[derive(Debug, Default, Deserialize)]
struct ConnectQuery {
    v: Option<String>,
    encoding: Option<String>,
    compress: Option<String>,
}

/// Client frames larger than this are refused by the WebSocket layer itself; the state machine
/// enforces Discord's 4096 bytes below it with a proper 4002.
const MAX_MESSAGE: usize = 64 * 1024;

/// The WebSocket layer's read buffer (tungstenite allocates it eagerly, 128 KiB by default):
/// clients send little (heartbeats, the odd command; a larger frame grows it), so a small one
/// serves and idle sessions stay cheap.
const READ_BUFFER: usize = 1024;

/// Bytes of written frames held before they go to the socket; `flush` writes them at the end of
/// every batch anyway.
const WRITE_BUFFER: usize = 16 * 1024;

/// Dispatches written per wake-up before yielding to read the socket again.
const BATCH: usize = 64;

/// How long one write may wait for a client that does not read before the connection is
/// dropped (resumably): the session's outbox keeps what was not sent.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client gets to go away on its own after op 7 at shutdown.
const RECONNECT_GRACE: Duration = Duration::from_millis(500);

static CONNECTIONS: AtomicU64 = AtomicU64::new(1);

async fn upgrade(
    State(hub): State<Arc<Hub>>,
    query: Result<Query<ConnectQuery>, QueryRejection>,
    ws: WebSocketUpgrade,
) -> Response {
    // A query that does not parse is treated like a missing one; `v` is checked after the upgrade.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            serve(hub, socket, query).await;
        })
}

/// Checks the query: a bad version is 4012, an encoding other than JSON or an unknown
/// compression is 4002 (nothing else can be decoded on either side).
fn negotiate(query: &ConnectQuery) -> Result<(u8, Transport), Close> {
    let version = match query.v.as_deref() {
        None => 10,
        Some(v) => match v.parse::<u8>() {
            Ok(v @ 6..=10) => v,
            _ => return Err(Close::from_code(CloseCode::InvalidApiVersion)),
        },
    };
    if !matches!(query.encoding.as_deref(), None | Some("json")) {
        return Err(Close { code: 4002, reason: "Only encoding=json is supported.", resumable: false });
    }
    let transport = Transport::from_query(query.compress.as_deref()).ok_or(Close {
        code: 4002,
        reason: "Unknown compress value.",
        resumable: false,
    })?;
    Ok((version, transport))
}

struct Driver {
    hub: Arc<Hub>,
    socket: WebSocket,
    id: u64,
    version: u8,
    compressor: Compressor,
    started: Option<Started>,
}

async fn serve(hub: Arc<Hub>, mut socket: WebSocket, query: ConnectQuery) {
    let _counted = hub.connection_guard();
    let (version, transport) = match negotiate(&query) {
        Ok(n) => n,
        Err(close) => {
            let _ = socket.send(close_message(close)).await;
            return;
        }
    };
    let compressor = match Compressor::new(transport) {
        Ok(c) => c,
        Err(error) => {
            tracing::warn!(%error, "gateway: compressor not created");
            return;
        }
    };
    let id = CONNECTIONS.fetch_add(1, Ordering::Relaxed);
    let mut driver = Driver { hub, socket, id, version, compressor, started: None };
    let end = driver.run(Connection::new(driver.hub.config().connection, Instant::now())).await;
    if let Some(started) = &driver.started {
        driver.hub.detach(&started.session, driver.id, end.resumable);
    }
}

fn close_message(close: Close) -> Message {
    Message::Close(Some(CloseFrame { code: close.code, reason: close.reason.into() }))
}

/// How a connection ended, for the session it carried.
#[derive(Clone, Copy, Debug)]
struct End {
    resumable: bool,
}

impl Driver {
    async fn run(&mut self, mut conn: Connection) -> End {
        let mut shutdown = self.hub.shutdown_signal();
        let mut reconnect_sent: Option<Instant> = None;
        // A connection that arrives while the server is already shutting down is told at once.
        if *shutdown.borrow_and_update() {
            conn.reconnect();
            reconnect_sent = Some(Instant::now());
        }
        // One timer for the connection's life, moved only when the deadline moves (a heartbeat):
        // re-creating it on every wake-up would register and cancel a timer per event.
        let timer = tokio::time::sleep(Duration::from_secs(60));
        tokio::pin!(timer);
        loop {
            while let Some(output) = conn.poll_output() {
                if let Some(end) = self.perform(&mut conn, output).await {
                    return end;
                }
            }
            if let Some(end) = self.flush_dispatches(&mut conn).await {
                return end;
            }
            if conn.is_closed() {
                continue;
            }
            let mut deadline = conn.poll_timeout().unwrap_or_else(|| Instant::now() + Duration::from_secs(60));
            if let Some(at) = reconnect_sent {
                deadline = deadline.min(at + RECONNECT_GRACE);
            }
            let deadline = tokio::time::Instant::from_std(deadline);
            if timer.deadline() != deadline {
                timer.as_mut().reset(deadline);
            }
            let session = self.started.as_ref().map(|s| s.session.clone());
            let notified = async {
                match &session {
                    Some(s) => s.notify.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                message = self.socket.recv() => match message {
                    Some(Ok(Message::Text(text))) => self.handle_frame(&mut conn, text.as_bytes()),
                    Some(Ok(Message::Binary(bytes))) => self.handle_frame(&mut conn, &bytes),
                    // The WebSocket layer queued the pong; send it now rather than with the next frame.
                    Some(Ok(Message::Ping(_))) => {
                        let _ = self.flush().await;
                    }
                    Some(Ok(Message::Pong(_))) => {}
                    Some(Ok(Message::Close(frame))) => {
                        // Completes the closing handshake (the reply was queued by the WebSocket layer).
                        let _ = self.flush().await;
                        // 1000/1001 end the session (the bot logs out); any other code keeps it.
                        let code = frame.map(|f| f.code);
                        return End { resumable: !matches!(code, Some(1000 | 1001)) };
                    }
                    // Dropped or broken: resumable.
                    Some(Err(_)) | None => return End { resumable: true },
                },
                () = notified => {
                    // Let the fan-out finish queueing what it is queueing (and other sessions
                    // run) before writing: under load, several dispatches then leave in one
                    // write instead of one system call each.
                    tokio::task::yield_now().await;
                }
                () = &mut timer => {
                    let now = Instant::now();
                    if reconnect_sent.is_some_and(|at| now >= at + RECONNECT_GRACE) {
                        conn.close(Close { code: 4000, reason: "Reconnect.", resumable: true });
                    } else {
                        conn.handle_timeout(now);
                    }
                }
                changed = shutdown.changed(), if reconnect_sent.is_none() => {
                    if changed.is_ok() && *shutdown.borrow() {
                        conn.reconnect();
                        reconnect_sent = Some(Instant::now());
                    }
                }
            }
        }
    }

    /// Carries out one output of the state machine; `Some` when the connection is over.
    async fn perform(&mut self, conn: &mut Connection, output: Output) -> Option<End> {
        match output {
            Output::Send(frame) => self.send(frame).await.err().map(|()| End { resumable: true }),
            Output::Close(close) => {
                let _ = self.socket.send(close_message(close)).await;
                let _ = self.socket.flush().await;
                Some(End { resumable: close.resumable })
            }
            // The start-up and command futures are large (store reads, GUILD_CREATE building):
            // boxed, they take memory only while they run instead of enlarging every
            // connection's task for its whole life.
            Output::Identify(identify) => {
                match Box::pin(start::identify(&self.hub, &identify, self.version, self.id)).await {
                    Ok(started) => {
                        self.started = Some(started);
                        conn.established();
                    }
                    Err(close) => conn.close(close),
                }
                None
            }
            Output::Resume(resume) => {
                match Box::pin(start::resume(&self.hub, &resume, self.id)).await {
                    Ok(started) => {
                        self.started = Some(started);
                        conn.established();
                    }
                    Err(ResumeFailure::InvalidSeq) => conn.close(Close::from_code(CloseCode::InvalidSeq)),
                    Err(ResumeFailure::Unknown | ResumeFailure::Evicted) => conn.invalid_session(false),
                }
                None
            }
            other => {
                if let Some(started) = &self.started
                    && let Some(close) = Box::pin(start::command(&self.hub, started, other)).await
                {
                    conn.close(close);
                }
                None
            }
        }
    }

    /// One client frame into the state machine; a heartbeat's sequence number lets the session
    /// forget the dispatches the client says it has (they can no longer be asked for again).
    fn handle_frame(&mut self, conn: &mut Connection, frame: &[u8]) {
        conn.handle_frame(frame, Instant::now());
        if let Some(seq) = conn.take_acknowledged()
            && let Some(started) = &self.started
        {
            started.session.lock().outbox.forget_through(seq);
        }
    }

    /// Writes the session's queued dispatches, or closes if the session asked for it.
    async fn flush_dispatches(&mut self, conn: &mut Connection) -> Option<End> {
        let session = self.started.as_ref()?.session.clone();
        loop {
            let batch = {
                let mut inner = session.lock();
                if let Some((connection, close)) = inner.kick
                    && connection == self.id
                {
                    inner.kick = None;
                    drop(inner);
                    // If a newer connection took over, it may have lost this wake-up to us.
                    session.notify.notify_one();
                    conn.close(close);
                    return None;
                }
                if inner.connection != Some(self.id) {
                    drop(inner);
                    // A RESUME elsewhere took the session. Both connections wait on the same
                    // notification and this one may have taken a wake-up meant for the new one:
                    // pass it on.
                    session.notify.notify_one();
                    conn.close(Close::REPLACED);
                    return None;
                }
                inner.outbox.take_unsent(BATCH)
            };
            if batch.is_empty() {
                return None;
            }
            for (seq, frame) in &batch {
                let mut bytes = Vec::new();
                protocol::write_dispatch(&mut bytes, *seq, frame.name, &frame.data);
                if self.feed(bytes).await.is_err() {
                    return Some(End { resumable: true });
                }
            }
            if self.flush().await.is_err() {
                return Some(End { resumable: true });
            }
            if batch.len() < BATCH {
                return None;
            }
        }
    }

    async fn send(&mut self, frame: Vec<u8>) -> Result<(), ()> {
        self.feed(frame).await?;
        self.flush().await
    }

    async fn flush(&mut self) -> Result<(), ()> {
        match tokio::time::timeout(WRITE_TIMEOUT, self.socket.flush()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }

    /// Compresses (if negotiated) and queues one frame on the socket without flushing.
    async fn feed(&mut self, frame: Vec<u8>) -> Result<(), ()> {
        let message = if self.compressor.is_binary() {
            let bytes = self.compressor.compress(frame).map_err(|error| tracing::warn!(%error, "gateway"))?;
            Message::Binary(bytes.into())
        } else {
            // Frames are serialized JSON, hence UTF-8.
            Message::Text(String::from_utf8(frame).map_err(|_| ())?.into())
        };
        match tokio::time::timeout(WRITE_TIMEOUT, self.socket.feed(message)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(()),
        }
    }
}

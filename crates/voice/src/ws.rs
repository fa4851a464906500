//! The voice WebSocket driver: one task per connection feeding frames, time and the room's
//! messages into the sans-IO [`Connection`], and carrying out what it asks for through
//! [`Control`].

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use guildhall_voice_proto::signal::{CloseCode, Connection, Output, Version};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::VoiceNode;
use crate::control::{Conn, Control, Key, ToConn};

/// The voice WebSocket routes: `/voice` and `/voice/` (discord.js appends `?v=8` to the
/// endpoint, discord.py and songbird `/?v=…`).
pub fn routes(node: &VoiceNode) -> Router {
    Router::new().route("/voice", get(upgrade)).route("/voice/", get(upgrade)).with_state(node.control.clone())
}

#[derive(Debug, Default, Deserialize)]
struct ConnectQuery {
    v: Option<String>,
}

/// Voice payloads are small; anything larger is refused by the WebSocket layer.
const MAX_MESSAGE: usize = 16 * 1024;

async fn upgrade(
    State(control): State<Arc<Control>>,
    query: Result<Query<ConnectQuery>, axum::extract::rejection::QueryRejection>,
    ws: WebSocketUpgrade,
) -> Response {
    let version = query.ok().and_then(|Query(q)| Version::from_query(q.v.as_deref()));
    ws.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE).on_upgrade(move |socket| async move {
        serve(control, socket, version).await;
    })
}

async fn close(socket: &mut WebSocket, code: CloseCode) {
    let frame = CloseFrame { code: code.code(), reason: code.reason().into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// What the connection has become after its outputs were carried out.
enum Flow {
    Open,
    Closed,
}

struct Driver {
    control: Arc<Control>,
    conn: Connection,
    id: u64,
    tx: mpsc::UnboundedSender<ToConn>,
    joined: Option<Key>,
}

impl Driver {
    /// Carries out every pending output of the state machine.
    async fn flush(&mut self, socket: &mut WebSocket) -> Flow {
        while let Some(output) = self.conn.poll_output() {
            match output {
                Output::Send(text) => {
                    let sent = socket.send(Message::Text(text.into())).await;
                    if sent.is_err() {
                        return Flow::Closed;
                    }
                }
                Output::Close(code) => {
                    close(socket, code).await;
                    return Flow::Closed;
                }
                Output::Identify(identify) => {
                    let conn = Conn { id: self.id, tx: self.tx.clone() };
                    match self.control.identify(&identify, conn) {
                        Ok((key, joined)) => {
                            self.joined = Some(key);
                            let media = self.control.media_addr();
                            let config = self.control.config();
                            self.conn.ready(joined.ssrc, &media.ip().to_string(), media.port(), &config.modes);
                            if !joined.others.is_empty() {
                                self.conn.clients_connect(&joined.others);
                            }
                            for (user_id, ssrc, speaking) in joined.speakers {
                                self.conn.speaking(user_id, ssrc, speaking);
                            }
                        }
                        Err(code) => self.conn.reject(code),
                    }
                }
                Output::Resume(resume) => {
                    let conn = Conn { id: self.id, tx: self.tx.clone() };
                    match self.control.resume(&resume, conn) {
                        Ok((key, outbox)) => {
                            self.joined = Some(key);
                            self.conn.resumed(outbox, resume.seq_ack);
                        }
                        Err(code) => self.conn.reject(code),
                    }
                }
                Output::SelectProtocol { mode, .. } => {
                    match self.joined.and_then(|key| self.control.select_protocol(key, mode)) {
                        Some(secret) => self.conn.session_description(mode, &secret),
                        None => self.conn.close(CloseCode::SessionNoLongerValid),
                    }
                }
                Output::Speaking { speaking, ssrc } => {
                    if let Some(key) = self.joined {
                        self.control.speaking(key, ssrc, speaking);
                    }
                }
                // Outputs added later (video, DAVE) need nothing from this driver yet.
                _ => {}
            }
        }
        Flow::Open
    }

    fn deliver(&mut self, message: ToConn) {
        match message {
            ToConn::Speaking { user_id, ssrc, speaking } => self.conn.speaking(user_id, ssrc, speaking),
            ToConn::ClientsConnect(users) => self.conn.clients_connect(&users),
            ToConn::ClientDisconnect(user) => self.conn.client_disconnect(user),
            ToConn::Close(code) => self.conn.close(code),
        }
    }
}

async fn serve(control: Arc<Control>, mut socket: WebSocket, version: Option<Version>) {
    let Some(version) = version else {
        // No `v` or one below 4: Discord refuses these since 2024-11-18 (protocol.md §6.2).
        close(&mut socket, CloseCode::BadRequest).await;
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let interval = control.config().heartbeat_interval;
    let id = control.next_conn_id();
    let mut driver = Driver { control, conn: Connection::new(Instant::now(), version, interval), id, tx, joined: None };
    loop {
        if let Flow::Closed = driver.flush(&mut socket).await {
            break;
        }
        let deadline = driver.conn.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => driver.conn.handle_text(Instant::now(), text.as_bytes()),
                // Binary frames carry DAVE's MLS messages; DAVE is not offered
                // (`dave_protocol_version: 0`), so there is nothing to do with them.
                Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
            Some(message) = rx.recv() => driver.deliver(message),
            () = sleep => driver.conn.handle_timeout(Instant::now()),
        }
    }
    let (control, joined) = (driver.control.clone(), driver.joined);
    // Relays already queued for this connection go into the outbox first; later ones are
    // buffered there by `Control` itself.
    let take_outbox = || {
        while let Ok(message) = rx.try_recv() {
            driver.deliver(message);
        }
        driver.conn.take_outbox()
    };
    if let Some(key) = joined
        && control.detach(key, id, take_outbox)
    {
        let window = control.config().resume_window;
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            control.expire(key, id);
        });
    }
}

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
use guildhall_voice_proto::signal::{CloseCode, Connection, Output, Version, VideoStreams};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::VoiceNode;
use crate::control::{Conn, Control, Key, Resumed, ToConn};

/// The voice WebSocket routes: `/voice` and `/voice/` (discord.js appends `?v=8` to the
/// endpoint, discord.py and songbird `/?v=…`).
pub fn routes(node: &VoiceNode) -> Router {
    Router::new().route("/voice", get(upgrade)).route("/voice/", get(upgrade)).with_state(node.control.clone())
}

#[derive(Debug, Default, Deserialize)]
struct ConnectQuery {
    v: Option<String>,
}

/// How long a RESUME waits for the connection it takes over to hand over its messages.
const HANDOVER: std::time::Duration = std::time::Duration::from_secs(5);

/// Voice payloads are small except a browser's SDP offer; anything larger is refused by the
/// WebSocket layer.
const MAX_MESSAGE: usize = 128 * 1024;

/// How long the SFU may take to answer an offer before the browser is told to start over.
const ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

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
                    let outbox = match self.control.resume(&resume, conn) {
                        Ok((key, resumed)) => {
                            self.joined = Some(key);
                            match resumed {
                                Resumed::Ready(outbox) => Some(outbox),
                                // The previous connection stops and sends its messages here.
                                Resumed::Pending(rx) => {
                                    tokio::time::timeout(HANDOVER, rx).await.ok().and_then(Result::ok)
                                }
                            }
                        }
                        Err(code) => {
                            self.conn.reject(code);
                            continue;
                        }
                    };
                    match outbox {
                        Some(outbox) => self.conn.resumed(outbox, resume.seq_ack),
                        None => self.conn.reject(CloseCode::SessionNoLongerValid),
                    }
                }
                Output::SelectProtocol { mode, .. } => {
                    match self.joined.and_then(|key| self.control.select_protocol(key, self.id, mode)) {
                        Some(secret) => self.conn.session_description(mode, &secret),
                        None => self.conn.close(CloseCode::SessionNoLongerValid),
                    }
                }
                Output::SelectWebRtc { sdp } => {
                    let asked = self.joined.and_then(|key| self.control.select_webrtc(key, self.id, sdp));
                    let answer = match asked {
                        Some(rx) => tokio::time::timeout(ANSWER_TIMEOUT, rx).await.ok().and_then(Result::ok),
                        None => None,
                    };
                    match answer {
                        Some(Ok(sdp)) => self.conn.webrtc_description(&sdp, self.id),
                        // An offer str0m cannot answer is a payload we failed to decode.
                        Some(Err(error)) => {
                            tracing::debug!(%error, "webrtc offer refused");
                            self.conn.close(CloseCode::DecodeError);
                        }
                        None => self.conn.close(CloseCode::SessionNoLongerValid),
                    }
                }
                Output::Video { camera, screen } => {
                    if let Some(key) = self.joined {
                        self.control.video(key, self.id, camera, screen);
                    }
                }
                Output::Speaking { speaking, ssrc } => {
                    if let Some(key) = self.joined {
                        self.control.speaking(key, self.id, ssrc, speaking);
                    }
                }
                // Outputs added later (video, DAVE) need nothing from this driver yet.
                _ => {}
            }
        }
        Flow::Open
    }

    /// Applies a message from the room. Returns false when this connection must stop because a
    /// RESUME elsewhere took its session over.
    fn deliver(&mut self, message: ToConn) -> bool {
        match message {
            ToConn::Speaking { user_id, ssrc, speaking } => self.conn.speaking(user_id, ssrc, speaking),
            ToConn::ClientsConnect(users) => self.conn.clients_connect(&users),
            ToConn::ClientDisconnect(user) => self.conn.client_disconnect(user),
            ToConn::Close(code) => self.conn.close(code),
            ToConn::HandOver => return false,
            ToConn::Video { user_id, ssrc, audio, camera, screen } => {
                let streams =
                    VideoStreams { audio: audio.as_deref(), camera: camera.as_deref(), screen: screen.as_deref() };
                self.conn.video(user_id, ssrc, streams);
            }
        }
        true
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
                // Some libraries send their JSON in binary frames; DAVE's binary MLS messages
                // (DAVE is not offered) are recognised and ignored by the connection.
                Some(Ok(Message::Binary(bytes))) => driver.conn.handle_text(Instant::now(), &bytes),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            },
            Some(message) = rx.recv() => if !driver.deliver(message) { break },
            () = sleep => driver.conn.handle_timeout(Instant::now()),
        }
    }
    // What the room said that this connection has not taken in yet belongs in the outbox the
    // RESUME will replay.
    while let Ok(message) = rx.try_recv() {
        driver.deliver(message);
    }
    if let Some(key) = driver.joined
        && driver.control.detach(key, driver.id, driver.conn.take_outbox())
    {
        let control = driver.control.clone();
        let window = control.config().resume_window;
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            control.expire(key, id);
        });
    }
}

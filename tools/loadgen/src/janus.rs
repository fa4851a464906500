//! `loadgen janus`: the browser-path load of `voice --webrtc` against Janus's videoroom (Debian's
//! `janus`, reached over its HTTP API; scripts/bench-janus.sh runs it in a network namespace as
//! sfu-stack.md §5.iii describes). R rooms, each with P publishers (audio only, the same
//! stamped packets every 20 ms) and S subscribers that receive every publisher of their room
//! through one peer connection. Reported: packets delivered to subscribers per second, Janus's
//! CPU-µs per delivered packet (/proc of the given pid), added latency and loss.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::proc;
use crate::report::Report;
use crate::voice::webrtc_client::{self, FRAME, WebClient};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Janus's HTTP API.
    #[arg(long, default_value = "http://10.77.0.2:8088/janus")]
    url: String,
    /// The address the clients bind (the host side of the veth pair).
    #[arg(long, default_value = "10.77.0.1")]
    bind: IpAddr,
    /// Janus's process id, for its CPU time.
    #[arg(long)]
    pid: u32,
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Publishers (speakers) per room.
    #[arg(long, default_value_t = 3)]
    publishers: usize,
    /// Subscribers (listeners) per room.
    #[arg(long, default_value_t = 10)]
    subscribers: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Payload bytes per packet.
    #[arg(long, default_value_t = 160)]
    payload: usize,
}

/// One Janus session with one videoroom handle.
struct Handle {
    http: reqwest::Client,
    url: String,
    session: u64,
    handle: u64,
}

impl Handle {
    async fn new(http: &reqwest::Client, url: &str) -> anyhow::Result<Handle> {
        let created = post(http, url, json!({"janus": "create"})).await?;
        let session = created["data"]["id"].as_u64().context("create: no session id")?;
        let attached =
            post(http, &format!("{url}/{session}"), json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}))
                .await?;
        let handle = attached["data"]["id"].as_u64().context("attach: no handle id")?;
        Ok(Handle { http: http.clone(), url: url.to_owned(), session, handle })
    }

    /// A videoroom request; synchronous ones answer in the response, others ack and answer as
    /// an event (which `event` waits for).
    async fn message(&self, body: Value, jsep: Option<Value>) -> anyhow::Result<Value> {
        let mut m = json!({"janus": "message", "body": body});
        if let Some(jsep) = jsep {
            m["jsep"] = jsep;
        }
        post(&self.http, &format!("{}/{}/{}", self.url, self.session, self.handle), m).await
    }

    /// The next plugin event whose data satisfies `want` (long-polling the session).
    async fn event(&self, want: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let url = format!("{}/{}?maxev=5", self.url, self.session);
            let events: Value = self.http.get(&url).send().await?.json().await?;
            let list = match events {
                Value::Array(list) => list,
                one => vec![one],
            };
            for e in list {
                if e["janus"] == "event" && want(&e) {
                    return Ok(e);
                }
            }
        }
        bail!("no matching Janus event within 30 s")
    }
}

async fn post(http: &reqwest::Client, url: &str, mut body: Value) -> anyhow::Result<Value> {
    body["transaction"] = json!(format!("{:016x}", rand_u64()));
    // Janus answers with a content type reqwest does not call JSON; parse the text.
    let text = http.post(url).json(&body).send().await?.text().await?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("Janus answered {text}"))?;
    if v["janus"] == "error" {
        bail!("Janus error: {}", v["error"]);
    }
    Ok(v)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish()
}

/// A publisher: joins `room`, publishes a one-m-line audio offer, connects.
async fn publish(http: &reqwest::Client, args: &Args, room: u64) -> anyhow::Result<(Handle, WebClient, u64)> {
    let h = Handle::new(http, &args.url).await?;
    h.message(json!({"request": "join", "ptype": "publisher", "room": room}), None).await?;
    let joined = h.event(|e| e["plugindata"]["data"]["videoroom"] == "joined").await?;
    let id = joined["plugindata"]["data"]["id"].as_u64().context("joined: no publisher id")?;
    let (mut client, offer, pending) = WebClient::offering(args.bind, 0)?;
    // trickle: false — the offer is complete; otherwise Janus waits for end-of-candidates.
    let jsep = json!({"type": "offer", "sdp": offer, "trickle": false});
    h.message(json!({"request": "publish", "audio": true, "video": false}), Some(jsep)).await?;
    let answered = h.event(|e| e["jsep"]["type"] == "answer").await?;
    client.accept(pending, answered["jsep"]["sdp"].as_str().context("publish: no answer sdp")?)?;
    Ok((h, client, id))
}

/// A subscriber to every publisher of `room`: Janus offers, the client answers, `start`.
async fn subscribe(
    http: &reqwest::Client,
    args: &Args,
    room: u64,
    feeds: &[u64],
) -> anyhow::Result<(Handle, WebClient)> {
    let h = Handle::new(http, &args.url).await?;
    let streams: Vec<Value> = feeds.iter().map(|f| json!({"feed": f})).collect();
    h.message(json!({"request": "join", "ptype": "subscriber", "room": room, "streams": streams}), None).await?;
    let attached = h.event(|e| e["jsep"]["type"] == "offer").await?;
    let (client, answer) = WebClient::answering(args.bind, attached["jsep"]["sdp"].as_str().context("no offer sdp")?)?;
    h.message(json!({"request": "start"}), Some(json!({"type": "answer", "sdp": answer, "trickle": false}))).await?;
    Ok((h, client))
}

pub(crate) async fn run(args: Args) -> anyhow::Result<Report> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(40)).build()?;
    let mut report = Report::new("janus");
    report
        .param("rooms", args.rooms)
        .param("publishers_per_room", args.publishers)
        .param("subscribers_per_room", args.subscribers)
        .param("seconds", args.seconds)
        .param("payload_bytes", args.payload);
    let admin = Handle::new(&http, &args.url).await?;
    let mut handles = Vec::new();
    let mut clients = Vec::new();
    let mut speaking = Vec::new();
    let mut room_of = Vec::new();
    let setup = Instant::now();
    for r in 0..args.rooms {
        let room = 4000 + r as u64;
        let created = admin
            .message(
                json!({"request": "create", "room": room, "publishers": args.publishers + 1, "audiocodec": "opus"}),
                None,
            )
            .await?;
        if created["plugindata"]["data"]["videoroom"] != "created" {
            bail!("room {room} not created: {created}");
        }
        let mut feeds = Vec::new();
        for _ in 0..args.publishers {
            let (h, client, id) = publish(&http, &args, room).await?;
            handles.push(h);
            clients.push(client);
            speaking.push(true);
            room_of.push(r);
            feeds.push(id);
        }
        // Publishers must be up (ICE + DTLS) before subscribers can attach to their feeds.
        let first = clients.len() - args.publishers;
        let mut fresh: Vec<WebClient> = clients.drain(first..).collect();
        let fresh = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<WebClient>> {
            webrtc_client::connect_all(&mut fresh, Duration::from_secs(30))?;
            Ok(fresh)
        })
        .await??;
        clients.extend(fresh);
        tokio::time::sleep(Duration::from_millis(300)).await;
        for _ in 0..args.subscribers {
            let (h, client) = subscribe(&http, &args, room, &feeds).await?;
            handles.push(h);
            clients.push(client);
            speaking.push(false);
            room_of.push(r);
        }
    }
    report.figure("setup", setup.elapsed().as_secs_f64(), "s");
    let packets = u32::try_from(args.seconds * 1000 / FRAME.as_millis() as u64)?;
    let (payload, pid) = (args.payload, args.pid);
    let (clients, outcome, cpu_us, secs) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut clients = clients;
        webrtc_client::connect_all(&mut clients, Duration::from_secs(30))?;
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now() + Duration::from_millis(100);
        let before = proc::sample(pid)?;
        let until = start + FRAME * packets + Duration::from_millis(500);
        let outcome = webrtc_client::run(&mut clients, &speaking, start, packets, payload, until)?;
        let after = proc::sample(pid)?;
        let (cpu_us, secs) = proc::delta(&before, &after);
        Ok((clients, outcome, cpu_us, secs))
    })
    .await??;
    drop(handles);
    let mut delivered = 0u64;
    let mut expected = 0u64;
    for (i, c) in clients.iter().enumerate() {
        if outcome.sent.get(i).copied().unwrap_or(0) > 0 {
            continue; // publishers receive nothing in a videoroom
        }
        let want: u64 = (0..clients.len())
            .filter(|&s| room_of[s] == room_of[i] && outcome.sent[s] > 0)
            .map(|s| u64::from(outcome.sent[s]))
            .sum();
        delivered += c.received.min(want);
        expected += want;
    }
    let latency = |q: f64| outcome.latency_us.value_at_quantile(q) as f64 / 1000.0;
    report
        .figure("forwarded_pps", delivered as f64 / secs.max(1e-3), "/s")
        .figure("cpu_us_per_forwarded", if delivered == 0 { f64::NAN } else { cpu_us as f64 / delivered as f64 }, "µs")
        .figure("latency_p50", latency(0.5), "ms")
        .figure("latency_p99", latency(0.99), "ms")
        .figure("loss", if expected == 0 { f64::NAN } else { 100.0 * (1.0 - delivered as f64 / expected as f64) }, "%");
    if delivered == 0 {
        bail!("Janus delivered no packet");
    }
    Ok(report)
}

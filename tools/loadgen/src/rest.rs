//! `loadgen rest`: the REST API and the store under concurrent load, as a bot and a user would
//! use them: message create, history pages (`before`, limit 50) over a channel holding many
//! messages (bulk-seeded with `guildhall seed --messages`), the member list, and a
//! permission-heavy read (the channel list of a member with many roles and overwrites).
//!
//! Each phase runs `concurrency` workers on one keep-alive connection pool until its request
//! count is done, and reports throughput, latency p50/p99/max and the server's CPU-µs per request.

use crate::report::Report;
use crate::target::{SeedPlan, Server, ServerArgs};
use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use reqwest::{Client, Method, RequestBuilder};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Messages created in the create phase.
    #[arg(long, default_value_t = 20_000)]
    creates: usize,
    /// Messages bulk-seeded into the history channel before the server starts.
    #[arg(long, default_value_t = 1_000_000)]
    history_messages: u64,
    /// History pages read (random `before` anchors, limit 50).
    #[arg(long, default_value_t = 20_000)]
    pages: usize,
    /// Guild members (seeded user accounts) for the member-list phase.
    #[arg(long, default_value_t = 1000)]
    members: u32,
    /// Member-list reads (`GET /guilds/{id}/members?limit=1000`).
    #[arg(long, default_value_t = 500)]
    member_reads: usize,
    /// Roles held by the member of the permission phase, each with an overwrite on every channel.
    #[arg(long, default_value_t = 10)]
    roles: usize,
    /// Text channels the permission phase lists.
    #[arg(long, default_value_t = 50)]
    channels: u32,
    /// Channel-list reads by that member (`GET /guilds/{id}/channels`).
    #[arg(long, default_value_t = 5000)]
    permission_reads: usize,
}

/// One phase's measurements.
struct Phase {
    latency_us: Histogram<u64>,
    wall: Duration,
    cpu_us: u64,
    errors: usize,
}

pub(crate) async fn run(args: Args) -> anyhow::Result<Report> {
    let plan = SeedPlan {
        bots: 1,
        users: args.members.max(1),
        // 0: history, 1: creates, the rest for the permission phase.
        text_channels: 2 + args.channels,
        voice_channels: 0,
        messages: args.history_messages,
    };
    let server = Server::start(&args.server, &plan, &[]).await?;
    let result = measure(&args, &server).await.and_then(|(report, errors)| {
        if errors > 0 {
            // A failed request under load is a bug, not a figure: show the run, then fail.
            report.print();
            bail!("{errors} requests failed; server log: {}", server.log_path().display());
        }
        Ok(report)
    });
    if result.is_err() {
        eprintln!("server log: {}", server.log_path().display());
        let _ = std::fs::copy(server.log_path(), std::env::temp_dir().join("loadgen-rest-server.log"));
    }
    server.stop().await;
    result
}

/// The report and the number of failed requests.
async fn measure(args: &Args, server: &Server) -> anyhow::Result<(Report, usize)> {
    let mut errors = 0;
    let seed = &server.seed;
    let api = format!("{}/api/v10", server.http);
    let bot = format!("Bot {}", seed.bots.first().context("no seeded bot")?.token);
    let client = Client::builder().pool_max_idle_per_host(args.concurrency).tcp_nodelay(true).build()?;
    let mut report = Report::new("rest");
    report
        .param("concurrency", args.concurrency)
        .param("creates", args.creates)
        .param("history_messages", args.history_messages)
        .param("pages", args.pages)
        .param("members", args.members)
        .param("roles", args.roles)
        .param("channels", args.channels);

    // Message create, into a channel of its own so history pages stay on the seeded set.
    let create_channel = &seed.text_channels.get(1).context("no second text channel")?.id;
    let url = format!("{api}/channels/{create_channel}/messages");
    let phase = run_phase(server, args.concurrency, args.creates, |i| {
        client.post(&url).header("Authorization", &bot).json(&json!({ "content": format!("loadgen message {i}") }))
    })
    .await?;
    add_phase(&mut report, "create", &phase);
    errors += phase.errors;

    // History pages with random `before` anchors inside the seeded run.
    let history = seed.messages.as_ref().context("seed wrote no messages")?;
    let (first, last): (u64, u64) = (history.first_id.parse()?, history.last_id.parse()?);
    let url = format!("{api}/channels/{}/messages", history.channel_id);
    let phase = run_phase(server, args.concurrency, args.pages, |i| {
        let before = first + spread(i as u64, last.saturating_sub(first).max(1));
        client.get(&url).header("Authorization", &bot).query(&[("before", before.to_string()), ("limit", "50".into())])
    })
    .await?;
    add_phase(&mut report, "history_page", &phase);
    errors += phase.errors;
    // One page read back in full, to be sure the phase read real pages.
    let sample: Vec<Value> = client
        .get(&url)
        .header("Authorization", &bot)
        .query(&[("before", last.to_string()), ("limit", "50".into())])
        .send()
        .await?
        .json()
        .await?;
    if sample.len() != 50 {
        bail!("a history page held {} messages, not 50", sample.len());
    }

    // The member list.
    let url = format!("{api}/guilds/{}/members", seed.guild.id);
    let phase = run_phase(server, args.concurrency, args.member_reads, |_| {
        client.get(&url).header("Authorization", &bot).query(&[("limit", "1000")])
    })
    .await?;
    add_phase(&mut report, "member_list", &phase);
    errors += phase.errors;

    // The channel list of a member whose view depends on many roles and overwrites.
    let user = seed.users.first().context("no seeded user")?;
    setup_permissions(&client, &api, &bot, server, &user.id, args.roles).await?;
    let url = format!("{api}/guilds/{}/channels", seed.guild.id);
    let phase = run_phase(server, args.concurrency, args.permission_reads, |_| {
        client.get(&url).header("Authorization", &user.token)
    })
    .await?;
    add_phase(&mut report, "channel_list_perms", &phase);
    errors += phase.errors;
    Ok((report, errors))
}

/// `i`-th of a low-discrepancy spread over `0..range` (golden-ratio steps): anchors all over
/// the channel without a random number generator, the same sequence every run.
fn spread(i: u64, range: u64) -> u64 {
    const GOLDEN: f64 = 0.618_033_988_749_894_9;
    let frac = (i as f64 * GOLDEN).fract();
    (frac * range as f64) as u64
}

/// `roles` roles on the member, each with an allow/deny overwrite on every permission-phase
/// channel, and a deny of VIEW_CHANNEL for @everyone on every other one: listing channels then
/// computes a full permission set per channel.
async fn setup_permissions(
    client: &Client,
    api: &str,
    bot: &str,
    server: &Server,
    user_id: &str,
    roles: usize,
) -> anyhow::Result<()> {
    let seed = &server.seed;
    let guild = &seed.guild.id;
    const VIEW_CHANNEL: u64 = 1 << 10;
    const SEND_MESSAGES: u64 = 1 << 11;
    const ADD_REACTIONS: u64 = 1 << 6;
    let mut role_ids = Vec::new();
    for r in 0..roles {
        let role: Value =
            send(client.post(format!("{api}/guilds/{guild}/roles")).header("Authorization", bot).json(&json!({
                "name": format!("load-{r}"),
                "permissions": (VIEW_CHANNEL | SEND_MESSAGES).to_string(),
            })))
            .await?;
        let id = role["id"].as_str().context("role without id")?.to_owned();
        send_empty(
            client.put(format!("{api}/guilds/{guild}/members/{user_id}/roles/{id}")).header("Authorization", bot),
        )
        .await?;
        role_ids.push(id);
    }
    for (n, channel) in seed.text_channels.iter().enumerate().skip(2) {
        for (r, role) in role_ids.iter().enumerate() {
            // Alternate allows and denies so no overwrite is redundant.
            let (allow, deny) = if (n + r) % 2 == 0 { (VIEW_CHANNEL, ADD_REACTIONS) } else { (ADD_REACTIONS, 0) };
            send_empty(
                client
                    .request(Method::PUT, format!("{api}/channels/{}/permissions/{role}", channel.id))
                    .header("Authorization", bot)
                    .json(&json!({ "type": 0, "allow": allow.to_string(), "deny": deny.to_string() })),
            )
            .await?;
        }
        if n % 3 == 0 {
            send_empty(
                client
                    .request(Method::PUT, format!("{api}/channels/{}/permissions/{user_id}", channel.id))
                    .header("Authorization", bot)
                    .json(&json!({ "type": 1, "allow": "0", "deny": VIEW_CHANNEL.to_string() })),
            )
            .await?;
        }
    }
    Ok(())
}

async fn send(request: RequestBuilder) -> anyhow::Result<Value> {
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("setup request failed: {status} {body}");
    }
    Ok(body)
}

async fn send_empty(request: RequestBuilder) -> anyhow::Result<()> {
    let response = request.send().await?;
    if !response.status().is_success() {
        bail!("setup request failed: {} {}", response.status(), response.text().await.unwrap_or_default());
    }
    Ok(())
}

/// Runs `total` requests from `concurrency` workers; each worker takes the next index, sends,
/// reads the whole body and records the latency. The server's CPU is sampled around the phase.
async fn run_phase<F>(server: &Server, concurrency: usize, total: usize, make: F) -> anyhow::Result<Phase>
where
    F: Fn(usize) -> RequestBuilder + Sync,
{
    let next = Arc::new(AtomicUsize::new(0));
    let before = server.sample()?;
    let started = Instant::now();
    let workers = (0..concurrency.max(1)).map(|_| {
        let next = next.clone();
        let make = &make;
        async move {
            let mut hist = Histogram::<u64>::new(3)?;
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let ok = match make(i).send().await {
                    Ok(r) => {
                        let ok = r.status().is_success();
                        ok && r.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                if ok {
                    hist.record(t.elapsed().as_micros() as u64)?;
                } else {
                    errors += 1;
                }
            }
            anyhow::Ok((hist, errors))
        }
    });
    let results = futures_util::future::join_all(workers).await;
    let wall = started.elapsed();
    let after = server.sample()?;
    let mut latency_us = Histogram::<u64>::new(3)?;
    let mut errors = 0;
    for r in results {
        let (h, e) = r?;
        latency_us.add(&h)?;
        errors += e;
    }
    let (cpu_us, _) = crate::proc::delta(&before, &after);
    Ok(Phase { latency_us, wall, cpu_us, errors })
}

fn add_phase(report: &mut Report, name: &str, phase: &Phase) {
    let done = phase.latency_us.len() as f64;
    let ms = |q: f64| phase.latency_us.value_at_quantile(q) as f64 / 1000.0;
    report
        .figure(format!("{name}_per_s"), done / phase.wall.as_secs_f64().max(1e-9), "/s")
        .figure(format!("{name}_p50"), ms(0.5), "ms")
        .figure(format!("{name}_p99"), ms(0.99), "ms")
        .figure(format!("{name}_max"), phase.latency_us.max() as f64 / 1000.0, "ms")
        .figure(format!("{name}_server_cpu"), phase.cpu_us as f64 / done.max(1.0), "µs/req")
        .figure(format!("{name}_errors"), phase.errors as f64, "");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_spread_over_the_whole_range() {
        let range = 1_000_000;
        let picks: Vec<u64> = (0..1000).map(|i| spread(i, range)).collect();
        assert!(picks.iter().all(|&p| p < range));
        // Every tenth of the range gets some anchors.
        for decile in 0..10 {
            let lo = decile * range / 10;
            assert!(picks.iter().any(|&p| (lo..lo + range / 10).contains(&p)), "decile {decile} empty");
        }
    }
}

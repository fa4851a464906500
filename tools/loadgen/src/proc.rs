//! The server as the kernel sees it: CPU time and resident memory from `/proc/<pid>`.

use anyhow::{Context, bail};
use std::time::Instant;

/// One reading of a process.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ProcSample {
    /// User + system CPU time of all threads, in microseconds.
    pub(crate) cpu_us: u64,
    /// Resident set size in bytes.
    pub(crate) rss_bytes: u64,
    pub(crate) at: Instant,
}

/// Reads `/proc/<pid>/stat` (utime + stime) and `/proc/<pid>/status` (VmRSS).
pub(crate) fn sample(pid: u32) -> anyhow::Result<ProcSample> {
    let at = Instant::now();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).with_context(|| format!("process {pid} gone"))?;
    let cpu_us = parse_stat_cpu(&stat)?.saturating_mul(1_000_000) / ticks_per_second();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_bytes = parse_status_rss(&status)?;
    Ok(ProcSample { cpu_us, rss_bytes, at })
}

/// CPU-µs and wall-seconds between two samples of the same process.
pub(crate) fn delta(before: &ProcSample, after: &ProcSample) -> (u64, f64) {
    (after.cpu_us.saturating_sub(before.cpu_us), after.at.duration_since(before.at).as_secs_f64())
}

fn ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second().max(1)
}

/// utime + stime in clock ticks. The command name (field 2) is in parentheses and may hold
/// spaces, so fields are counted after the last `)`.
fn parse_stat_cpu(stat: &str) -> anyhow::Result<u64> {
    let rest = stat.rsplit_once(')').map(|(_, r)| r).context("malformed /proc stat")?;
    // After ')' the fields start at field 3 (state); utime is field 14, stime field 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (Some(utime), Some(stime)) = (fields.get(11), fields.get(12)) else { bail!("short /proc stat") };
    Ok(utime.parse::<u64>()? + stime.parse::<u64>()?)
}

fn parse_status_rss(status: &str) -> anyhow::Result<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS")?;
    let kb: u64 = line.split_whitespace().nth(1).context("malformed VmRSS")?.parse()?;
    Ok(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat = "1234 (guild hall) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 50 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_stat_cpu(stat).ok(), Some(300));
    }

    #[test]
    fn rss_is_read_in_kilobytes() {
        let status = "Name:\tguildhall\nVmPeak:\t  9000 kB\nVmRSS:\t    2048 kB\n";
        assert_eq!(parse_status_rss(status).ok(), Some(2048 * 1024));
    }

    #[test]
    fn this_process_can_be_sampled() {
        let s = sample(std::process::id());
        assert!(s.is_ok_and(|s| s.rss_bytes > 0));
    }
}

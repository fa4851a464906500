//! `loadgen voice` (not written yet).

use crate::report::Report;
use crate::target::ServerArgs;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) async fn run(args: Args) -> anyhow::Result<Report> {
    let _ = args.server;
    anyhow::bail!("not written yet")
}

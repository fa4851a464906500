//! The bare baseline server (not written yet).

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) async fn serve(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}

use std::process::ExitCode;

use ingest::config::Settings;
use ingest::startup::Application;
use platform::settings::{Command, Loaded};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let command = Command::from_args()?;
    let loaded: Loaded<Settings> = platform::settings::load("ingest", &[])?;
    match command {
        Command::CheckSettings => return Ok(loaded.check_report("ingest")),
        Command::Republish { .. } => {
            anyhow::bail!("ingest keeps no outbox: it has nothing to republish")
        }
        Command::Run => {}
    }
    platform::telemetry::init(&loaded.settings.log)?;
    let app = Application::build(loaded.warn_unknown()).await?;
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

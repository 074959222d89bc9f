use std::process::ExitCode;

use delivery::config::Settings;
use delivery::startup::Application;
use platform::settings::{Command, Loaded};

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let command = Command::from_args()?;
    let loaded: Loaded<Settings> =
        platform::settings::load("delivery", &["webhooks.allowed_hosts"])?;
    match command {
        Command::CheckSettings => return Ok(loaded.check_report("delivery")),
        Command::Republish { since } => {
            return platform::outbox::republish_command(
                "delivery",
                &loaded.settings.database,
                since,
            )
            .await;
        }
        Command::Run => {}
    }
    platform::telemetry::init(&loaded.settings.log)?;
    let app = Application::build(loaded.warn_unknown()).await?;
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}

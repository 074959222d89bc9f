use ingest::config::Settings;
use ingest::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = platform::settings::load("ingest")?;
    platform::telemetry::init(&settings.log)?;
    let app = Application::build(settings).await?;
    app.run_until_stopped().await
}

use metrics_service::config::Settings;
use metrics_service::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = platform::settings::load("metrics")?;
    platform::telemetry::init(&settings.log)?;
    let app = Application::build(settings).await?;
    app.run_until_stopped().await
}

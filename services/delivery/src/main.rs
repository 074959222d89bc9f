use delivery::config::Settings;
use delivery::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings =
        platform::settings::load_with_lists("delivery", &["webhooks.allowed_hosts"])?;
    platform::telemetry::init(&settings.log)?;
    let app = Application::build(settings).await?;
    app.run_until_stopped().await
}

use ecommerce::config::Settings;
use ecommerce::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings =
        platform::settings::load_with_lists("ecommerce", &["login_throttle.trusted_proxies"])?;
    platform::telemetry::init(&settings.log)?;
    let app = Application::build(settings).await?;
    app.run_until_stopped().await
}

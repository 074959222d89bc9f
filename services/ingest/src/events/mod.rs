//! What ingest reads from NATS (the reference data) and writes to it (the reports).

pub mod reference;
pub mod reports;

use contracts::streams::COURIER_REPORTS;
use platform::nats::Nats;
use tokio_util::sync::CancellationToken;

/// Start-up task: once NATS answers, creates the COURIER_REPORTS stream ingest writes to. The
/// service is not ready until it has done so.
pub fn prepare_nats(
    nats: Nats,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let on = nats.clone();
    on.prepare("COURIER_REPORTS stream", &cancel, move || {
        let nats = nats.clone();
        async move {
            nats.reconcile_stream(&COURIER_REPORTS).await?;
            Ok("stream ready".to_owned())
        }
    })
}

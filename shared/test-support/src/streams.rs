//! What a test reads back from the test's JetStream streams.

use anyhow::Context;
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::RawMessageErrorKind;
use contracts::streams::StreamSpec;
use platform::nats::Nats;

/// Every message `stream` holds now (in the client's namespace), oldest first; a sequence the
/// stream no longer holds is passed over. An error when the stream cannot be read (e.g. it does
/// not exist).
pub async fn stored_messages(
    nats: &Nats,
    stream: &StreamSpec,
) -> anyhow::Result<Vec<StreamMessage>> {
    let name = nats.namespace().stream_name(stream);
    let mut stream = nats
        .jetstream()
        .get_stream(&name)
        .await
        .with_context(|| format!("stream {name}"))?;
    let state = &stream.info().await?.state;
    // An empty stream that never held a message says 0 for both; sequences start at 1.
    let (first, last) = (state.first_sequence.max(1), state.last_sequence);
    let mut messages = Vec::new();
    for sequence in first..=last {
        match stream.get_raw_message(sequence).await {
            Ok(message) => messages.push(message),
            Err(error) if error.kind() == RawMessageErrorKind::NoMessageFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("message {sequence} of {name}"));
            }
        }
    }
    Ok(messages)
}

//! An adapter that answers every delivery at once: benches that measure the
//! core, not a platform, deliver through it.

use treecast_wire::{Adapter, AdapterError, Delivered, DeliveryError, InboundEnvelope, Outbound, Platform, Shutdown};

/// Answers every delivery at once.
pub struct Sink;

#[async_trait::async_trait]
impl Adapter for Sink {
    fn platform(&self) -> Platform {
        Platform::Console
    }
    fn capabilities(&self) -> treecast_wire::Capabilities {
        treecast_wire::Capabilities::default()
    }
    async fn deliver(&self, m: &Outbound) -> Result<Delivered, DeliveryError> {
        Ok(Delivered { message_ids: vec![format!("m-{}", m.id)] })
    }
    async fn run(&self, _: tokio::sync::mpsc::Sender<InboundEnvelope>, mut sd: Shutdown) -> Result<(), AdapterError> {
        treecast_wire::shutdown_signalled(&mut sd).await;
        Ok(())
    }
}

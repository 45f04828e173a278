//! [`BackupMetrics`] as an engine observer: store calls, the backups read,
//! and the parts lost, from the engine's events.

use backup_actuator_engine::{Event, Observer};

use super::BackupMetrics;

impl Observer for BackupMetrics {
    fn observe(&self, event: &Event<'_>) {
        match event {
            Event::StoreCall {
                call,
                result,
                elapsed,
            } => self.observe_call(call.as_str(), *result, *elapsed),
            Event::ListRead { list } => self.observe_list(list),
            Event::BackupRead { backup } => self.observe_backup(backup),
            Event::PartLost { loss, .. } => self.record_part_lost(*loss),
            _ => {}
        }
    }
}

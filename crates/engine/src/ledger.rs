//! What this process knows of the triggers it ran: which are under way,
//! which ended, and which accepted parts it saw lost. GET and the list
//! read it (through [`Circumstances`]) so a claim left beside missing parts
//! reads IN_PROGRESS only while a trigger may still run.

use std::collections::{BTreeMap, HashMap, VecDeque};

use backup_actuator_core::{BackupId, Circumstances};
use tokio_util::sync::CancellationToken;

/// How many ended triggers the ledger remembers; older ones are judged by
/// their claim's age alone, as a fresh process judges them.
const REMEMBERED: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Triggers of this process under way (the protocol, a background
    /// release, a watch), counted per id.
    under_way: HashMap<BackupId, usize>,
    /// Triggers that ended here, oldest first, with why parts were lost.
    ended: VecDeque<BackupId>,
    lost: HashMap<BackupId, BTreeMap<u32, String>>,
    /// The follow-up of each accepted backup, to stop it when it is deleted.
    followers: HashMap<BackupId, CancellationToken>,
}

impl Ledger {
    pub(crate) fn begin(&mut self, id: BackupId) {
        *self.under_way.entry(id).or_default() += 1;
    }

    /// One piece of a trigger ended; the trigger has ended when none is left.
    pub(crate) fn end(&mut self, id: BackupId) {
        let Some(count) = self.under_way.get_mut(&id) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            self.under_way.remove(&id);
            self.ended.retain(|other| *other != id);
            self.ended.push_back(id);
            while self.ended.len() > REMEMBERED {
                if let Some(old) = self.ended.pop_front() {
                    self.lost.remove(&old);
                }
            }
        }
    }

    pub(crate) fn part_lost(&mut self, id: BackupId, part_no: u32, why: String) {
        self.lost.entry(id).or_default().insert(part_no, why);
    }

    /// A new trigger or a deletion: what was known of the id is history.
    pub(crate) fn forget(&mut self, id: BackupId) {
        self.ended.retain(|other| *other != id);
        self.lost.remove(&id);
        if let Some(follower) = self.followers.remove(&id) {
            follower.cancel();
        }
    }

    pub(crate) fn follow(&mut self, id: BackupId, token: CancellationToken) {
        if let Some(previous) = self.followers.insert(id, token) {
            previous.cancel();
        }
    }

    pub(crate) fn unfollow(&mut self, id: BackupId, token: &CancellationToken) {
        if self.followers.get(&id).is_some_and(|t| t == token) {
            self.followers.remove(&id);
        }
    }

    /// The circumstances of a read of `only` (one backup) or of all.
    pub(crate) fn circumstances(
        &self,
        base: Circumstances,
        only: Option<BackupId>,
    ) -> Circumstances {
        let wanted = |id: &BackupId| only.is_none_or(|only| only == *id);
        let mut known = base;
        for id in self.under_way.keys().filter(|id| wanted(id)) {
            known = known.trigger_under_way(*id);
        }
        for id in self.ended.iter().filter(|id| wanted(id)) {
            known = known.trigger_ended(*id);
        }
        for (id, parts) in self.lost.iter().filter(|(id, _)| wanted(id)) {
            for (part_no, why) in parts {
                known = known.part_lost(*id, *part_no, why.clone());
            }
        }
        known
    }
}

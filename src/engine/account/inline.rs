//! An account's inline policies, principal by principal, on every core.

use super::record::{over_limit_warning, readmitted_warning};
use super::{AccountError, Context, Holder, Job, Kind, Out, Record, Summary};
use crate::error::escape;
use crate::input::account::Inline;
use crate::input::findings::Beyond;
use crate::input::policy::Owner;
use crate::model::size::Limit;

impl Context<'_> {
    /// Refines every inline policy, principal by principal, so that each
    /// principal's inline total can be held against its limit.
    ///
    /// On several threads (`--jobs`), holders go in chunks: each holder's
    /// records and messages are made apart, then sent in holder order, so
    /// the report is the same byte for byte whatever the number of threads.
    pub(super) fn inline_policies(
        &self,
        holders: &[Holder],
        out: &mut Out,
    ) -> Result<(), AccountError> {
        let one =
            |(order, holder): (usize, &Holder)| -> Result<(Vec<Record>, Summary), AccountError> {
                let mut summary = Summary::default();
                let mut records = self.inline_list(holder, None, &mut summary, order)?;
                let total: usize = records.iter().map(|r| r.size.after).sum();
                let limit = Limit::Inline(holder.owner);
                if let Some(cap) = self.settings.fit_cap(limit).filter(|&cap| total > cap) {
                    records = self.fit_inline(holder, &records, cap, &mut summary, order)?;
                }
                Ok((records, summary))
            };
        // Enough holders at a time to keep every thread busy, few enough
        // that their records do not pile up.
        const CHUNK: usize = 256;
        type Done = Vec<Result<(Vec<Record>, Summary), AccountError>>;
        let compute = |at: usize, chunk: &[Holder]| -> Done {
            let numbered = chunk.iter().enumerate().map(|(i, h)| (at * CHUNK + i, h));
            match &self.pool {
                Some(pool) => {
                    use rayon::prelude::*;
                    let numbered: Vec<(usize, &Holder)> = numbered.collect();
                    pool.install(|| numbered.into_par_iter().map(one).collect())
                }
                None => numbered.map(one).collect(),
            }
        };
        let send = |chunk: &[Holder], done: Done, out: &mut Out| -> Result<(), AccountError> {
            for (holder, done) in chunk.iter().zip(done) {
                let (records, summary) = done?;
                out.summary.notes.extend(summary.notes);
                out.summary.warnings.extend(summary.warnings);
                self.send_inline(holder, records, out)?;
            }
            Ok(())
        };
        let Some(pool) = &self.pool else {
            for (at, chunk) in holders.chunks(CHUNK).enumerate() {
                send(chunk, compute(at, chunk), out)?;
            }
            return Ok(());
        };
        // On several threads, a chunk is refined while the one before is
        // sent from this thread, in order: writing the report does not
        // leave the threads idle.
        let mut pending: Option<(&[Holder], Done)> = None;
        for (at, chunk) in holders.chunks(CHUNK).enumerate() {
            let mut done = None;
            let mut sent = Ok(());
            pool.in_place_scope(|scope| {
                scope.spawn(|_| done = Some(compute(at, chunk)));
                if let Some((before, finished)) = pending.take() {
                    sent = send(before, finished, out);
                }
            });
            sent?;
            pending = done.map(|done| (chunk, done));
        }
        if let Some((before, finished)) = pending {
            send(before, finished, out)?;
        }
        Ok(())
    }

    /// Sends one holder's inline records, with the warning for their
    /// total over the limit and what `--fit` re-admitted.
    fn send_inline(
        &self,
        holder: &Holder,
        mut records: Vec<Record>,
        out: &mut Out,
    ) -> Result<(), AccountError> {
        let limit = Limit::Inline(holder.owner);
        {
            let total: usize = records.iter().map(|r| r.size.after).sum();
            if let Some(first) = records.first().filter(|_| total > limit.chars()) {
                let mut first = first.clone();
                first.size.counted = total;
                out.summary.warnings.push(over_limit_warning(&first));
            }
            for mut record in records.drain(..) {
                record.size.counted = total;
                out.summary.warnings.extend(readmitted_warning(&record));
                (out.sink)(record).map_err(AccountError::Output)?;
            }
        }
        Ok(())
    }

    /// One holder's inline policies, refined; its records are sent together
    /// once their total size is known.
    pub(super) fn inline_list(
        &self,
        holder: &Holder,
        caps: Option<&[usize]>,
        summary: &mut Summary,
        order: usize,
    ) -> Result<Vec<Record>, AccountError> {
        let list: &[Inline] = holder.inline;
        let mut records = Vec::with_capacity(list.len());
        let unused = holder.unused.to_set(self.catalog);
        let kind = match holder.owner {
            Owner::Role => Kind::InlineRole,
            Owner::User => Kind::InlineUser,
            Owner::Group => Kind::InlineGroup,
        };
        for (i, inline) in list.iter().enumerate() {
            let job = Job {
                kind,
                name: &inline.policy_name,
                arn: None,
                owner: Some(holder.arn),
                attached_to: Vec::new(),
                principals: holder.principals.clone(),
                updated_at: None,
                document: inline.policy_document,
                again: caps.is_some(),
                order,
            };
            let (unused, beyond) = if holder.principals.is_empty() {
                // Said once, not again when fitted to a share.
                if caps.is_none() {
                    summary.notes.push(format!(
                        "{}: group without members: its inline policy {} is left as it is",
                        escape(holder.arn),
                        escape(&inline.policy_name)
                    ));
                }
                (self.catalog.empty_set(), Beyond::default())
            } else {
                (unused.clone(), holder.beyond.clone())
            };
            let limit = Limit::Inline(holder.owner);
            // A group without members is left as it is: nothing to fit.
            let cap = caps
                .filter(|_| !holder.principals.is_empty())
                .and_then(|caps| caps.get(i).copied());
            records.push(self.refine_job(&job, &unused, &beyond, limit, cap)?);
        }
        Ok(records)
    }
}

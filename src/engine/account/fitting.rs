//! `refine account --fit`: the caps each policy is fitted to, and a
//! principal's inline policies fitted together under its limit.

use super::holders::Holder;
use super::record::unfit_warning;
use super::{AccountError, Context, Record, Summary};
use crate::model::size::Limit;

/// How an account is refined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// `--catalog-current`.
    pub catalog_current: bool,
    /// `--fit`: bring each refined policy over its limit under it. A
    /// principal's inline policies share its limit: when their exact
    /// refinements are over it together, each is fitted to a share in
    /// proportion to its refined size, or, if one cannot reach its share,
    /// in proportion to its original size (which fits whenever the
    /// originals do).
    pub fit: bool,
    /// `--max-size`: a tighter cap than IAM's limits (for inline policies,
    /// on their total).
    pub max_size: Option<usize>,
    /// `--jobs`: the threads inline policies are refined on (0: one per
    /// core).
    pub jobs: usize,
}

impl Settings {
    /// The cap `--fit` brings policies under `limit` to, if it is asked.
    pub(super) fn fit_cap(&self, limit: Limit) -> Option<usize> {
        self.fit.then(|| {
            self.max_size
                .map_or(limit.chars(), |max| max.min(limit.chars()))
        })
    }
}

/// Shares of `cap` in proportion to `sizes` (each at least 1).
fn shares(sizes: &[usize], cap: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum::<usize>().max(1);
    sizes
        .iter()
        .map(|&size| (size * cap / total).max(1))
        .collect()
}

impl Context<'_> {
    /// One holder's inline policies, fitted together under `cap`: shares
    /// in proportion to their exact refinements (`exact`), or to their
    /// originals when a share is out of reach.
    pub(super) fn fit_inline(
        &self,
        holder: &Holder,
        exact: &[Record],
        cap: usize,
        summary: &mut Summary,
        order: usize,
    ) -> Result<Vec<Record>, AccountError> {
        let after: Vec<usize> = exact.iter().map(|r| r.size.after).collect();
        let fitted = self.inline_list(holder, Some(&shares(&after, cap)), summary, order)?;
        if fitted.iter().all(|r| r.unfit.is_none()) {
            return Ok(fitted);
        }
        let before: Vec<usize> = exact.iter().map(|r| r.size.before).collect();
        let fitted = self.inline_list(holder, Some(&shares(&before, cap)), summary, order)?;
        for record in fitted.iter().filter(|r| r.unfit.is_some()) {
            let why = record.unfit.as_deref().unwrap_or_default();
            let why = format!(
                "{why}, its share of the {cap} its owner's inline policies may have together"
            );
            summary.warnings.push(unfit_warning(record, &why));
        }
        Ok(fitted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_in_proportion_and_never_zero() {
        assert_eq!(shares(&[3_000, 1_000], 2_000), [1_500, 500]);
        assert_eq!(shares(&[10_000, 0], 100), [100, 1]);
        assert_eq!(shares(&[], 100), Vec::<usize>::new());
    }

    #[test]
    fn the_cap_is_the_lower_of_the_limit_and_max_size_and_only_with_fit() {
        let settings = Settings {
            fit: true,
            max_size: Some(5_000),
            ..Settings::default()
        };
        assert_eq!(settings.fit_cap(Limit::Managed), Some(5_000));
        assert_eq!(
            settings.fit_cap(Limit::Inline(crate::input::policy::Owner::User)),
            Some(2_048)
        );
        assert_eq!(Settings::default().fit_cap(Limit::Managed), None);
    }
}

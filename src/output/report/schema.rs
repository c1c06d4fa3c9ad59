//! What the JSON reports share: one schema version and one catalog header,
//! for `--format json` and the account report alike. Field names never
//! change without a bump of [`VERSION`].

use crate::model::catalog::CatalogInfo;
use serde::Serialize;

/// The version of every JSON report refine writes.
pub const VERSION: u32 = 1;

/// The catalog a report was made with.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogOut<'a> {
    /// Where the catalog came from.
    pub source: &'a str,
    /// The date of its data, when known.
    pub date: Option<&'a str>,
}

impl<'a> From<&'a CatalogInfo> for CatalogOut<'a> {
    fn from(info: &'a CatalogInfo) -> CatalogOut<'a> {
        CatalogOut {
            source: &info.source,
            date: info.date.as_deref(),
        }
    }
}

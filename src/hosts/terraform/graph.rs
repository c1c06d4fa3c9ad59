//! The configuration as a graph: its modules, the calls between them,
//! the blocks of each, and where each block is used. [`super::owners`]
//! follows it to say whose each policy is.

use super::hcl::{self, labels};
use crate::input::tf_state::{TfInstance, TfState};
use crate::json::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};

/// A reference to a resource that does not exist, or another error in
/// the configuration found while following references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// The file's index.
    pub file: usize,
    /// Where.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// A module of the configuration: a directory's `.tf` files.
pub struct Module<'c> {
    /// Its top-level blocks, with the index of their file.
    pub blocks: Vec<(usize, &'c Block)>,
    /// The calls of it: the calling module and its `module` block.
    pub callers: Vec<(usize, usize, &'c Block)>,
}

/// A call chain from a root module: each calling module and its `module`
/// block.
pub(super) type Context<'c> = Vec<(usize, &'c Block)>;

/// The configuration's modules, for following references.
pub struct Graph<'c> {
    /// The modules.
    pub modules: Vec<Module<'c>>,
    /// The state, when given, and the root module it is the state of.
    pub state: Option<(&'c TfState, usize)>,
    /// Per module, why its policies may have owners refine cannot see (it
    /// has files refine does not read, a call of it may be hidden).
    pub tainted: Vec<Option<String>>,
}

/// How deep module calls and document sources are followed.
pub(super) const DEPTH: usize = 16;

/// How many chains of module calls to one module are followed: past that,
/// its policies' owners are not known (a diamond of calls grows
/// exponentially).
pub(super) const CHAINS: usize = 256;

impl<'c> Graph<'c> {
    /// The root module `state` is the state of: the one root (a module no
    /// other calls) that declares every resource and module call the
    /// state has at its top level. A state that fits none, or several,
    /// would name the wrong principals: an error.
    pub fn state_root(&self, state: &TfState) -> Result<Option<usize>, String> {
        let fits = |m: usize| {
            let module = &self.modules[m];
            // A state of another configuration may have the same
            // addresses: each instance's resource must be declared, with
            // instance keys exactly when it has `count` or `for_each`, and
            // with the name the state has when the configuration writes
            // one.
            let declared = |ident: &str, labels_: &[&str], keyed: bool, name: Option<&str>| {
                module.blocks.iter().any(|(_, b)| {
                    let repeated =
                        b.body.has_attribute("count") || b.body.has_attribute("for_each");
                    let written = hcl::attribute(&b.body, "name").and_then(hcl::literal);
                    let same_name = match (written, name) {
                        (Some(written), Some(name)) => written == name,
                        _ => true,
                    };
                    b.ident.as_str() == ident
                        && labels(b)[..] == *labels_
                        && repeated == keyed
                        && same_name
                })
            };
            state
                .instances
                .iter()
                .filter(|i| i.managed)
                .all(|instance| match instance.module.first() {
                    Some(call) => {
                        let first = format!("module.{call}");
                        let rest = instance
                            .module_address
                            .get(first.len()..)
                            .unwrap_or_default();
                        let keyed = rest.starts_with('[');
                        declared("module", &[call.as_str()], keyed, None)
                            && self.fits_in_callee(m, instance)
                    }
                    None => declared(
                        "resource",
                        &[instance.kind.as_str(), instance.name.as_str()],
                        instance.key.is_some(),
                        instance.values_name.as_deref(),
                    ),
                })
        };
        let roots: Vec<usize> = (0..self.modules.len())
            .filter(|&m| self.modules[m].callers.is_empty() && !self.modules[m].blocks.is_empty())
            .filter(|&m| fits(m))
            .collect();
        match roots[..] {
            [root] => Ok(Some(root)),
            [] if state.instances.is_empty() => Ok(None),
            [] => Err("the state is not of any root module here: it has resources or module calls none declares".into()),
            _ => Err(format!("the state fits {} root modules here: run refine on one of them", roots.len())),
        }
    }

    /// Whether `instance`, in a module of root `root`, is declared there:
    /// its module calls followed into the tree's modules, the resource
    /// declared in the last one with instance keys exactly when it has
    /// `count` or `for_each` and the state's name when the configuration
    /// writes one. A call into a module outside the tree is not checked.
    fn fits_in_callee(&self, root: usize, instance: &TfInstance) -> bool {
        let mut at = root;
        for call in &instance.module {
            let callee = self.modules.iter().position(|module| {
                module.callers.iter().any(|(caller, _, block)| {
                    *caller == at && labels(block).first() == Some(&call.as_str())
                })
            });
            match callee {
                Some(callee) => at = callee,
                None => return true,
            }
        }
        self.modules[at].blocks.iter().any(|(_, b)| {
            let repeated = b.body.has_attribute("count") || b.body.has_attribute("for_each");
            let written = hcl::attribute(&b.body, "name").and_then(hcl::literal);
            b.ident.as_str() == "resource"
                && labels(b)[..] == [instance.kind.as_str(), instance.name.as_str()]
                && repeated == instance.key.is_some()
                && match (written, instance.values_name.as_deref()) {
                    (Some(written), Some(name)) => written == name,
                    _ => true,
                }
        })
    }

    /// The address prefix of module `m`'s resources (`module.app.`), when
    /// exactly one call chain reaches it; empty otherwise.
    pub fn prefix(&self, m: usize) -> String {
        match &self.contexts(m, 0)[..] {
            [one] => one
                .iter()
                .map(|(_, call)| {
                    format!(
                        "module.{}.",
                        labels(call).first().copied().unwrap_or_default()
                    )
                })
                .collect(),
            _ => String::new(),
        }
    }

    /// Every call chain from a root to module `m`; past [`CHAINS`] of
    /// them, one more than that (the caller gives up).
    pub(super) fn contexts(&self, m: usize, depth: usize) -> Vec<Context<'c>> {
        let Some(module) = self.modules.get(m) else {
            return Vec::new();
        };
        if module.callers.is_empty() || depth > DEPTH {
            return vec![Vec::new()];
        }
        let mut all = Vec::new();
        for &(caller, _, block) in &module.callers {
            for mut context in self.contexts(caller, depth + 1) {
                context.push((caller, block));
                all.push(context);
                if all.len() > CHAINS {
                    return all;
                }
            }
        }
        all
    }

    /// The block `ident "kind" "name"` of module `m`.
    pub(super) fn block(
        &self,
        m: usize,
        ident: &str,
        kind: &str,
        name: &str,
    ) -> Option<(usize, &'c Block)> {
        self.modules
            .get(m)?
            .blocks
            .iter()
            .copied()
            .find(|(_, b)| b.ident.as_str() == ident && labels(b)[..] == [kind, name])
    }

    /// Whether `data.aws_iam_policy_document.name` of module `m` is used,
    /// and only as roles' trust policies (`assume_role_policy`): not an
    /// identity policy at all.
    pub fn trust_only(&self, m: usize, name: &str) -> bool {
        let uses = self.uses(m, &["data", "aws_iam_policy_document", name]);
        !uses.is_empty()
            && uses.iter().all(|(_, block, attr, _)| {
                attr == "assume_role_policy" && labels(block).first() == Some(&"aws_iam_role")
            })
    }

    /// Where module `m` refers to `target` (`["aws_iam_policy", "x"]`):
    /// each block, the attribute (`policy`, `inline_policy.policy`) and
    /// where.
    pub(super) fn uses(&self, m: usize, target: &[&str]) -> Vec<(usize, &'c Block, String, Span)> {
        let mut found = Vec::new();
        let Some(module) = self.modules.get(m) else {
            return found;
        };
        for &(file, block) in &module.blocks {
            each_attribute(&block.body, "", &mut |key, expr| {
                for reference in hcl::references(expr) {
                    if reference.names.len() >= target.len()
                        && reference.names.iter().zip(target).all(|(a, b)| a == b)
                    {
                        found.push((file, block, key.to_string(), reference.span));
                    }
                }
            });
        }
        found
    }
}

/// Calls `each` with every attribute of `body` and of its nested blocks,
/// by its key (`policy`, `inline_policy.policy`).
fn each_attribute<'b>(body: &'b Body, prefix: &str, each: &mut impl FnMut(&str, &'b Expression)) {
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                each(&format!("{prefix}{}", attr.key.as_str()), &attr.value)
            }
            Structure::Block(block) => {
                let prefix = format!("{prefix}{}.", block.ident.as_str());
                each_attribute(&block.body, &prefix, each);
            }
        }
    }
}

/// A block's address (`aws_iam_role.app`, `data.x.y`, `module.m`).
pub fn address(block: &Block) -> String {
    let labels = labels(block).join(".");
    match block.ident.as_str() {
        "resource" => labels,
        ident if labels.is_empty() => ident.to_string(),
        ident => format!("{ident}.{labels}"),
    }
}

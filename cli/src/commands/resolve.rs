//! Resolving secret references against the vault, shared by `hush read`, `run` and `inject`
//! (docs/secret-references.md). The vault is opened once, on the first reference, through the
//! agent or the master password like any command; each item is decrypted at most once.

use std::collections::HashMap;

use anyhow::{Context, Result};
use hush_crypto::ItemId;
use hush_vault::{Item, VaultView};
use zeroize::Zeroizing;

use crate::commands::get::field_value;
use crate::context::Ctx;
use crate::secret_ref::SecretRef;

/// Resolves references; opens the vault lazily, so a command with nothing to resolve never
/// asks for the master password.
pub(super) struct Resolver<'a> {
    ctx: &'a Ctx,
    view: Option<VaultView>,
    items: HashMap<ItemId, Item>,
}

impl<'a> Resolver<'a> {
    /// A resolver for `ctx`'s vault, not opened yet.
    pub(super) fn new(ctx: &'a Ctx) -> Self {
        Resolver { ctx, view: None, items: HashMap::new() }
    }

    /// The value `reference` names. Its item is an exact name or a full id, never a substring
    /// (`VaultView::find_exact`): a reference must not change meaning when an unrelated item
    /// is added. Exit 3 when nothing has that name, 4 when several do.
    pub(super) fn value(&mut self, reference: &SecretRef) -> Result<Zeroizing<String>> {
        self.lookup(reference).with_context(|| format!("cannot resolve {reference}"))
    }

    fn lookup(&mut self, reference: &SecretRef) -> Result<Zeroizing<String>> {
        let view = match &mut self.view {
            Some(view) => view,
            slot => slot.insert(self.ctx.view()?),
        };
        let id = crate::context::one_of(view, &reference.item, view.find_exact(&reference.item))?;
        let item = match self.items.entry(id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                view.item(&id).map_err(|err| hush_vault::profile::in_vault_file(&self.ctx.profile, err))?,
            ),
        };
        Ok(Zeroizing::new(field_value(&id, item, &reference.field)?))
    }
}

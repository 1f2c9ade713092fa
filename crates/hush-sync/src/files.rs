//! Attached files and the server (docs/spec/sync-api-v2.md, "Files"; docs/attachments.md).
//!
//! - **Upload before push.** Before a push carries an item that references a file the server's
//!   version of that item did not, every chunk of the file is on the server: a device that sees
//!   the item can always fetch its file. Chunks the server already lists are not sent again, so
//!   an unchanged file is never re-sent, and a push retried after a conflict sends nothing twice.
//! - **Delete after push.** Once a push that removes a file (a deleted item, or `hush file rm`)
//!   is acknowledged, the file's chunks are deleted on the server. A failure there is reported
//!   and harmless: the server keeps ciphertext nobody references.
//! - **Fetch, verified.** A chunk comes from the device's own `files/` folder or from the server;
//!   it is written anywhere only after it matched its item's hash and opened under the file key
//!   (crypto-v2.md, "Attachments"). A chunk the server drops or alters is tampering.

use std::collections::BTreeSet;

use hush_crypto::{AccountId, FileId, ItemId};
use hush_proto as proto;
use hush_vault::{Attachment, FileStore, Item, Vault};

use crate::{SyncError, Tampering, Transport};

/// What the files of one push need.
#[derive(Debug, Default)]
pub(crate) struct FileChanges {
    /// Files the pushed items reference and the server's versions did not, by item.
    pub added: Vec<(ItemId, Attachment)>,
    /// Files the server's versions referenced and the pushed items no longer do, by item.
    pub removed: Vec<(ItemId, FileId)>,
}

/// The files `item` adds and removes against `base` (the server's version of it, if it has one):
/// a deleted item references none.
fn changes_of(base: Option<&Item>, item: &Item) -> (Vec<Attachment>, Vec<FileId>) {
    let now: &[Attachment] = if item.deleted { &[] } else { &item.files };
    let before: &[Attachment] = base.filter(|b| !b.deleted).map_or(&[], |b| &b.files);
    let ids = |files: &[Attachment]| files.iter().map(|f| f.file_id).collect::<BTreeSet<_>>();
    let (now_ids, before_ids) = (ids(now), ids(before));
    let added = now.iter().filter(|f| !before_ids.contains(&f.file_id)).cloned().collect();
    let removed = before.iter().filter(|f| !now_ids.contains(&f.file_id)).map(|f| f.file_id).collect();
    (added, removed)
}

/// The files added and removed by pushing `items` (each against its merge base).
pub(crate) fn changes(vault: &Vault, items: &[ItemId]) -> Result<FileChanges, SyncError> {
    let mut out = FileChanges::default();
    for id in items {
        let item = &vault.entries()[id].item;
        let base = match vault.state().base.get(&id.0) {
            Some(blob) => Some(vault.decrypt(id, blob)?),
            None => None,
        };
        let (added, removed) = changes_of(base.as_ref(), item);
        out.added.extend(added.into_iter().map(|f| (*id, f)));
        out.removed.extend(removed.into_iter().map(|f| (*id, f)));
    }
    // A file another item still references (in use or in the trash) is not removed (hush never
    // shares a file id between items, but a deletion must never rest on that).
    let referenced = hush_vault::files::referenced_files(vault);
    out.removed.retain(|(_, f)| !referenced.contains(f));
    Ok(out)
}

/// Puts every chunk of `file` the server does not list yet, from this device's `files/`. `Ok(false)`
/// when a chunk is neither on the server nor (whole and authentic) here: the item that references
/// the file must wait.
pub(crate) fn upload(
    transport: &dyn Transport,
    token: &proto::SessionToken,
    store: Option<&FileStore>,
    account: &AccountId,
    file: &Attachment,
) -> Result<bool, SyncError> {
    let listed = transport.list_chunks(token, &file.file_id)?;
    let on_server: BTreeSet<u32> = listed.chunks.iter().map(|c| c.index).collect();
    for index in 0..file.chunk_count() {
        if on_server.contains(&index) {
            continue;
        }
        let Some(sealed) = store.map(|s| s.read_chunk(&file.file_id, index)).transpose()?.flatten() else {
            return Ok(false);
        };
        // Never upload what this device's own file does not vouch for (a damaged copy).
        if file.open_chunk(account, index, &sealed).is_none() {
            return Ok(false);
        }
        transport.put_chunk(token, &file.file_id, index, &sealed)?;
    }
    Ok(true)
}

/// Deletes the chunks of `files` on the server; returns those it could not delete.
pub(crate) fn delete(
    transport: &dyn Transport,
    token: &proto::SessionToken,
    files: &[FileId],
) -> Vec<FileId> {
    files.iter().filter(|f| transport.delete_file(token, f).is_err()).copied().collect()
}

/// Where chunks come from when this device does not hold them: the account's server.
pub struct Remote<'a> {
    /// The transport to the server.
    pub transport: &'a dyn Transport,
    /// The session.
    pub token: proto::SessionToken,
}

impl<'a> Remote<'a> {
    /// The server of a vault whose sealed state is `state`, over `transport`; `None` for a vault
    /// that syncs with no server.
    pub fn of(transport: &'a dyn Transport, state: &hush_vault::local_state::LocalState) -> Option<Self> {
        let sync = state.sync.as_ref()?;
        Some(Remote { transport, token: proto::SessionToken::new(sync.token.clone()) })
    }
}

/// Why reading a file stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A chunk failed to verify, or the server does not have it; nothing of it was written.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// A chunk kept in this device's `files/` folder failed to verify and there is no server to
    /// fetch it from.
    #[error(
        "{} failed to authenticate: it was changed outside hush, or is damaged; nothing of it was written",
        path.display()
    )]
    LocalChunk {
        /// The chunk's file.
        path: std::path::PathBuf,
    },
    /// A chunk is not in this device's `files/` folder and there is no server to fetch it from.
    #[error("{} is missing, and this vault syncs with no server to fetch it from", path.display())]
    LocalChunkMissing {
        /// Where the chunk should be.
        path: std::path::PathBuf,
    },
    /// Writing the file's content failed.
    #[error("cannot write the file: {0}")]
    Write(#[source] std::io::Error),
}

/// Reads attachment `file` of `account` chunk by chunk and hands each chunk's plaintext to `out`,
/// only after it verified (crypto-v2.md, "Attachments": hash, header, AEAD, length). Chunks are
/// taken from `store` when it holds them, else fetched from `remote` and kept in `store`. A chunk
/// in `store` that fails to verify is fetched again from `remote` (and replaced) when there is
/// one. Memory stays at a few chunks, whatever the file's size.
pub fn read(
    account: &AccountId,
    file: &Attachment,
    store: &FileStore,
    remote: Option<&Remote<'_>>,
    out: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<(), ReadError> {
    for index in 0..file.chunk_count() {
        let (_, plain) = verified_chunk(account, file, index, store, remote)?;
        out(&plain).map_err(ReadError::Write)?;
    }
    Ok(())
}

/// Chunk `index` of `file`, sealed as the item lists it, and its plaintext, from `store` or else
/// `remote` (kept in `store` once verified), as [`read`] takes it: for a backup, which copies the
/// sealed chunks.
pub fn verified_chunk(
    account: &AccountId,
    file: &Attachment,
    index: u32,
    store: &FileStore,
    remote: Option<&Remote<'_>>,
) -> Result<(Vec<u8>, zeroize::Zeroizing<Vec<u8>>), ReadError> {
    let local = store.read_chunk(&file.file_id, index).map_err(SyncError::from)?;
    if let Some(sealed) = local.as_ref()
        && let Some(plain) = file.open_chunk(account, index, sealed)
    {
        return Ok((sealed.clone(), plain));
    }
    let Some(remote) = remote else {
        let path = store.chunk_path(&file.file_id, index);
        return Err(match local {
            Some(_) => ReadError::LocalChunk { path },
            None => ReadError::LocalChunkMissing { path },
        });
    };
    let sealed = remote
        .transport
        .get_chunk(&remote.token, &file.file_id, index)
        .map_err(SyncError::from)?
        .ok_or(Tampering::FileChunkMissing { file: file.file_id, index })
        .map_err(SyncError::from)?;
    let plain = file
        .open_chunk(account, index, &sealed)
        .ok_or(Tampering::FileChunkAltered { file: file.file_id, index })
        .map_err(SyncError::from)?;
    store.write_chunk(&file.file_id, index, &sealed).map_err(SyncError::from)?;
    Ok((sealed, plain))
}
